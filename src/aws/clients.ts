import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EBSClient } from '@aws-sdk/client-ebs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EFSClient } from '@aws-sdk/client-efs';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

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

type ClientCtor<C> = new (config: Record<string, unknown>) => C;

const SERVICES = {
  cfn: CloudFormationClient,
  ebs: EBSClient,
  ec2: EC2Client,
  ecr: ECRClient,
  ecs: ECSClient,
  efs: EFSClient,
  kms: KMSClient,
  logs: CloudWatchLogsClient,
  s3: S3Client,
  secrets: SecretsManagerClient,
  sfn: SFNClient,
  sns: SNSClient,
  ssm: SSMClient,
  sts: STSClient,
} as const;

type ServiceName = keyof typeof SERVICES;
type ClientOf<S extends ServiceName> = InstanceType<(typeof SERVICES)[S]>;

const EMULATOR_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * One place that builds SDK clients: cached per service and region, with the endpoint
 * override, credentials, retry policy and call accounting applied uniformly.
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
  logs(region: string): CloudWatchLogsClient {
    return this.get('logs', region);
  }
  secrets(region: string): SecretsManagerClient {
    return this.get('secrets', region);
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
    const Ctor = SERVICES[service] as unknown as ClientCtor<ClientOf<S>>;
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
