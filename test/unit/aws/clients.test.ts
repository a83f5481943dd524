import * as path from 'node:path';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClients, CallCounter, registerClientClasses } from '../../../src/aws/clients';

const EMULATOR = 'http://127.0.0.1:4566';

/**
 * Answers every ECS call inside the SDK's middleware stack (after its retry step), so the
 * client's own configuration and middleware run without a network. `failFirst` answers the
 * first attempts with a retryable 503.
 */
function answerLocally(client: ECSClient, failFirst = 0): { attempts: () => number } {
  let attempts = 0;
  client.middlewareStack.add(
    () => async () => {
      attempts += 1;
      if (attempts <= failFirst) {
        throw Object.assign(new Error('Service Unavailable'), {
          name: 'ServiceUnavailableException',
          $metadata: { httpStatusCode: 503 },
          $fault: 'server',
        });
      }
      return { output: { clusterArns: [], $metadata: { httpStatusCode: 200 } }, response: {} };
    },
    { step: 'finalizeRequest', priority: 'low', name: 'answerLocally' },
  );
  return { attempts: () => attempts };
}

describe('AwsClients', () => {
  const open: AwsClients[] = [];
  const make = (target?: ConstructorParameters<typeof AwsClients>[0]) => {
    const clients = new AwsClients(target);
    open.push(clients);
    return clients;
  };
  afterEach(() => {
    for (const clients of open.splice(0)) clients.destroy();
    registerClientClasses({ ecs: ECSClient });
  });

  it('sends every call to the endpoint override in the requested region', async () => {
    const ecs = make({ endpoint: EMULATOR }).ecs('eu-west-1');
    const endpoint = await ecs.config.endpoint?.();
    expect(endpoint).toMatchObject({ protocol: 'http:', hostname: '127.0.0.1', port: 4566 });
    expect(await ecs.config.region()).toBe('eu-west-1');
  });

  it('uses path-style S3 addressing with an endpoint override, since the emulator has no bucket hostnames', () => {
    expect(make({ endpoint: EMULATOR }).s3('us-east-1').config.forcePathStyle).toBe(true);
    expect(make().s3('us-east-1').config.forcePathStyle).toBe(false);
  });

  it('signs emulator calls with fixed test credentials unless credentials are given', async () => {
    const emulator = await make({ endpoint: EMULATOR }).ecs('us-east-1').config.credentials();
    expect(emulator).toMatchObject({ accessKeyId: 'testing', secretAccessKey: 'testing' });

    const given = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' };
    const explicit = await make({ endpoint: EMULATOR, credentials: given })
      .ecs('us-east-1')
      .config.credentials();
    expect(explicit).toMatchObject(given);
  });

  it('uses explicit credentials against AWS too', async () => {
    const given = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
    const credentials = await make({ credentials: given }).sts('us-east-1').config.credentials();
    expect(credentials).toMatchObject(given);
  });

  it('builds one client per service and region and reuses it', () => {
    const clients = make();
    expect(clients.ecs('us-east-1')).toBe(clients.ecs('us-east-1'));
    expect(clients.ecs('us-west-2')).not.toBe(clients.ecs('us-east-1'));
    expect(clients.ecr('us-east-1')).not.toBe(clients.ecs('us-east-1'));
  });

  it('builds a fresh client after destroy', () => {
    const clients = make();
    const before = clients.ecs('us-east-1');
    clients.destroy();
    expect(clients.ecs('us-east-1')).not.toBe(before);
  });

  it('returns the SDK client class of each accessor', () => {
    const clients = make();
    expect(clients.ecs('us-east-1')).toBeInstanceOf(ECSClient);
    expect(clients.s3('us-east-1')).toBeInstanceOf(S3Client);
    const names = (
      ['cfn', 'ebs', 'ec2', 'ecr', 'efs', 'kms', 'logs', 'secrets', 'sfn', 'sns', 'ssm', 'sts'] as const
    ).map((service) => clients[service]('us-east-1').constructor.name);
    expect(names).toEqual([
      'CloudFormationClient',
      'EBSClient',
      'EC2Client',
      'ECRClient',
      'EFSClient',
      'KMSClient',
      'CloudWatchLogsClient',
      'SecretsManagerClient',
      'SFNClient',
      'SNSClient',
      'SSMClient',
      'STSClient',
    ]);
  });

  it('builds clients from the registered class', () => {
    class RegisteredEcs extends ECSClient {}
    registerClientClasses({ ecs: RegisteredEcs });
    expect(make().ecs('us-east-1')).toBeInstanceOf(RegisteredEcs);
  });

  it('makes 8 attempts per call unless maxAttempts says otherwise', async () => {
    expect(await make().ecs('us-east-1').config.maxAttempts()).toBe(8);
    expect(await make({ maxAttempts: 3 }).ecs('us-east-1').config.maxAttempts()).toBe(3);
  });

  it('reports each logical call once by Service.Operation, retries included', async () => {
    const counter = new CallCounter();
    const regions: string[] = [];
    const ecs = make({
      maxAttempts: 3,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      onCall: (operation, region) => {
        counter.record(operation);
        regions.push(region);
      },
    }).ecs('eu-central-1');
    const answered = answerLocally(ecs, 1);

    await ecs.send(new ListClustersCommand({}));
    await ecs.send(new ListClustersCommand({}));

    expect(answered.attempts()).toBe(3);
    expect(counter.toJSON()).toEqual({ 'ECS.ListClusters': 2 });
    expect(counter.total()).toBe(2);
    expect(regions).toEqual(['eu-central-1', 'eu-central-1']);
  });
});

describe('CallCounter', () => {
  it('totals calls and lists operations in name order', () => {
    const counter = new CallCounter();
    for (const op of ['S3.PutObject', 'ECS.ListServices', 'ECS.ListServices', 'ECR.BatchGetImage']) {
      counter.record(op);
    }
    expect(counter.total()).toBe(4);
    expect(Object.keys(counter.toJSON())).toEqual(['ECR.BatchGetImage', 'ECS.ListServices', 'S3.PutObject']);
    expect(counter.toJSON()['ECS.ListServices']).toBe(2);
  });
});

describe('src/aws/clients.ts in a bundle', () => {
  it('pulls in no SDK client package, so a Lambda bundle carries only the clients its code imports', async () => {
    const result = await build({
      entryPoints: [path.join(__dirname, '../../../src/aws/clients.ts')],
      bundle: true,
      platform: 'node',
      target: 'node22',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const clientPackages = Object.keys(result.metafile.inputs).filter((input) =>
      input.includes('node_modules/@aws-sdk/client-'),
    );
    expect(clientPackages).toEqual([]);
  });
});
