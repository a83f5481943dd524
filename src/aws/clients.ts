import { createRequire } from 'node:module';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { EBSClient } from '@aws-sdk/client-ebs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EFSClient } from '@aws-sdk/client-efs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { UnknownClientClassError } from './errors';

/** Where and how to reach AWS (or an AWS-compatible endpoint such as the emulator). */
export interface AwsTarget {
  /** Send every call to this endpoint instead of the regional AWS endpoints. */
  readonly endpoint?: string;
  /** Named profile from the shared config files. @default - the default credential chain */
  readonly profile?: string;
  /** Explicit credentials. @default - the default credential chain, or fixed test keys with `endpoint` */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Attempts per call, including the first; throttling, 5xx and network errors are retried. @default 8 */
  readonly maxAttempts?: number;
  /** Called once per logical API call (not per retry) with `Service.Operation`. */
  readonly onCall?: (operation: string, region: string) => void;
}

/** The SDK client class behind each `AwsClients` accessor. */
export interface ClientClasses {
  readonly autoscaling: typeof ApplicationAutoScalingClient;
  readonly cfn: typeof CloudFormationClient;
  readonly cloudwatch: typeof CloudWatchClient;
  readonly ebs: typeof EBSClient;
  readonly ec2: typeof EC2Client;
  readonly ecr: typeof ECRClient;
  readonly ecs: typeof ECSClient;
  readonly efs: typeof EFSClient;
  readonly elbv2: typeof ElasticLoadBalancingV2Client;
  readonly iam: typeof IAMClient;
  readonly kms: typeof KMSClient;
  readonly logs: typeof CloudWatchLogsClient;
  readonly s3: typeof S3Client;
  readonly secrets: typeof SecretsManagerClient;
  readonly servicediscovery: typeof ServiceDiscoveryClient;
  readonly sfn: typeof SFNClient;
  readonly sns: typeof SNSClient;
  readonly ssm: typeof SSMClient;
  readonly sts: typeof STSClient;
}

export type ServiceName = keyof ClientClasses;
type ClientOf<S extends ServiceName> = InstanceType<ClientClasses[S]>;

/** The package and export each client class comes from, when it was not registered. */
const CLIENT_SOURCES: { readonly [S in ServiceName]: readonly [packageName: string, exportName: string] } = {
  autoscaling: ['@aws-sdk/client-application-auto-scaling', 'ApplicationAutoScalingClient'],
  cfn: ['@aws-sdk/client-cloudformation', 'CloudFormationClient'],
  cloudwatch: ['@aws-sdk/client-cloudwatch', 'CloudWatchClient'],
  ebs: ['@aws-sdk/client-ebs', 'EBSClient'],
  ec2: ['@aws-sdk/client-ec2', 'EC2Client'],
  ecr: ['@aws-sdk/client-ecr', 'ECRClient'],
  ecs: ['@aws-sdk/client-ecs', 'ECSClient'],
  efs: ['@aws-sdk/client-efs', 'EFSClient'],
  elbv2: ['@aws-sdk/client-elastic-load-balancing-v2', 'ElasticLoadBalancingV2Client'],
  iam: ['@aws-sdk/client-iam', 'IAMClient'],
  kms: ['@aws-sdk/client-kms', 'KMSClient'],
  logs: ['@aws-sdk/client-cloudwatch-logs', 'CloudWatchLogsClient'],
  s3: ['@aws-sdk/client-s3', 'S3Client'],
  secrets: ['@aws-sdk/client-secrets-manager', 'SecretsManagerClient'],
  servicediscovery: ['@aws-sdk/client-servicediscovery', 'ServiceDiscoveryClient'],
  sfn: ['@aws-sdk/client-sfn', 'SFNClient'],
  sns: ['@aws-sdk/client-sns', 'SNSClient'],
  ssm: ['@aws-sdk/client-ssm', 'SSMClient'],
  sts: ['@aws-sdk/client-sts', 'STSClient'],
};

const registered: { [S in ServiceName]?: ClientClasses[S] } = {};

/**
 * Makes these client classes the ones `AwsClients` builds. A bundled entry point (a Lambda
 * handler) registers the classes it uses, e.g. `registerClientClasses({ ecs: ECSClient, s3:
 * S3Client })`: this module names no client class itself, so a bundle carries only the SDK
 * clients its code imports. A class that was not registered is loaded from its package on
 * first use, which suits tests, the CLI and scripts (they run from `node_modules`).
 */
export function registerClientClasses(classes: Partial<ClientClasses>): void {
  Object.assign(registered, classes);
}

/** `require` relative to this file; the package name is computed, so bundlers leave it alone. */
const loadPackage = createRequire(__filename);

function clientClass<S extends ServiceName>(service: S): ClientClasses[S] {
  const known = registered[service];
  if (known) return known;
  const [packageName, exportName] = CLIENT_SOURCES[service];
  let loaded: unknown;
  try {
    loaded = (loadPackage(packageName) as Record<string, unknown>)[exportName];
  } catch (cause) {
    throw new UnknownClientClassError(
      `The ${exportName} class is not registered and ${packageName} cannot be loaded; a bundled entry point must call registerClientClasses({ ${service}: ${exportName} }).`,
      service,
      { cause },
    );
  }
  if (typeof loaded !== 'function') {
    throw new UnknownClientClassError(
      `${packageName} exports no ${exportName} class; reinstall the dependencies (npm ci).`,
      service,
    );
  }
  const ctor = loaded as ClientClasses[S];
  registered[service] = ctor;
  return ctor;
}

const EMULATOR_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * One place that builds SDK clients: cached per service and region, with the endpoint
 * override, credentials, retry policy and call accounting applied uniformly. Client classes
 * are resolved on first use (see `registerClientClasses`), so importing this module costs
 * no SDK client.
 */
export class AwsClients {
  private readonly cache = new Map<string, unknown>();
  private readonly requestHandler: NodeHttpHandler;

  constructor(public readonly target: AwsTarget = {}) {
    this.requestHandler = new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: 60_000,
      httpAgent: { keepAlive: true, maxSockets: 64 },
      httpsAgent: { keepAlive: true, maxSockets: 64 },
    });
  }

  ecs(region: string): ECSClient {
    return this.get('ecs', region);
  }
  ecr(region: string): ECRClient {
    return this.get('ecr', region);
  }
  s3(region: string): S3Client {
    return this.get('s3', region);
  }
  ec2(region: string): EC2Client {
    return this.get('ec2', region);
  }
  ebs(region: string): EBSClient {
    return this.get('ebs', region);
  }
  efs(region: string): EFSClient {
    return this.get('efs', region);
  }
  sfn(region: string): SFNClient {
    return this.get('sfn', region);
  }
  sns(region: string): SNSClient {
    return this.get('sns', region);
  }
  kms(region: string): KMSClient {
    return this.get('kms', region);
  }
  /** Application Auto Scaling (scalable targets, policies, scheduled actions of ECS services). */
  autoscaling(region: string): ApplicationAutoScalingClient {
    return this.get('autoscaling', region);
  }
  cloudwatch(region: string): CloudWatchClient {
    return this.get('cloudwatch', region);
  }
  elbv2(region: string): ElasticLoadBalancingV2Client {
    return this.get('elbv2', region);
  }
  /** IAM is global; `region` picks the endpoint the call is signed for. */
  iam(region: string): IAMClient {
    return this.get('iam', region);
  }
  logs(region: string): CloudWatchLogsClient {
    return this.get('logs', region);
  }
  secrets(region: string): SecretsManagerClient {
    return this.get('secrets', region);
  }
  /** AWS Cloud Map (the namespaces and services ECS service discovery registers in). */
  servicediscovery(region: string): ServiceDiscoveryClient {
    return this.get('servicediscovery', region);
  }
  ssm(region: string): SSMClient {
    return this.get('ssm', region);
  }
  sts(region: string): STSClient {
    return this.get('sts', region);
  }
  cfn(region: string): CloudFormationClient {
    return this.get('cfn', region);
  }

  /** Closes pooled connections so a short-lived process can exit promptly. */
  destroy(): void {
    for (const client of this.cache.values()) (client as { destroy(): void }).destroy();
    this.cache.clear();
    this.requestHandler.destroy();
  }

  private get<S extends ServiceName>(service: S, region: string): ClientOf<S> {
    const cacheKey = `${service}:${region}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached as ClientOf<S>;
    const { endpoint, profile, credentials, maxAttempts = 8, onCall } = this.target;
    const Ctor = clientClass(service) as unknown as new (config: Record<string, unknown>) => ClientOf<S>;
    const config: Record<string, unknown> = {
      region,
      maxAttempts,
      retryMode: 'standard',
      requestHandler: this.requestHandler,
    };
    if (endpoint) {
      config.endpoint = endpoint;
      config.credentials = credentials ?? EMULATOR_CREDENTIALS;
      if (service === 's3') config.forcePathStyle = true;
    } else if (credentials) {
      config.credentials = credentials;
    }
    if (profile) config.profile = profile;
    const client = new Ctor(config);
    if (onCall) {
      const stack = (client as unknown as { middlewareStack: MiddlewareStackLike }).middlewareStack;
      stack.add(
        (next: Handler, context: { clientName?: string; commandName?: string }) => async (args: unknown) => {
          const svc = (context.clientName ?? service).replace(/Client$/, '');
          onCall(`${svc}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`, region);
          return next(args);
        },
        { step: 'initialize', name: 'lifeboatCallAccounting' },
      );
    }
    this.cache.set(cacheKey, client);
    return client;
  }
}

type Handler = (args: unknown) => Promise<unknown>;
interface MiddlewareStackLike {
  add(
    middleware: (next: Handler, context: { clientName?: string; commandName?: string }) => Handler,
    options: { step: string; name: string },
  ): void;
}

/** Counts API calls by operation; pass `counter.record` as `AwsTarget.onCall`. */
export class CallCounter {
  readonly counts = new Map<string, number>();
  readonly record = (operation: string): void => {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  };
  total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
