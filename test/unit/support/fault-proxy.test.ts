import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutSnapshotBlockCommand } from '@aws-sdk/client-ebs';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { BatchGetImageCommand } from '@aws-sdk/client-ecr';
import { DescribeClustersCommand, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../src/aws/clients';
import {
  DROP_PHASES,
  type FaultProxy,
  FaultProxyConfigError,
  type FaultRule,
  startFaultProxy,
} from '../../support/fault-proxy';

const REGION = 'us-east-1';

/** What the stand-in service behind the proxy received. */
interface Received {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A stand-in for the emulator: records each request and answers with a canned body. */
let upstream: Server;
let upstreamEndpoint: string;
const received: Received[] = [];
const UPSTREAM_BODY = JSON.stringify({ clusters: [], failures: [], note: 'x'.repeat(400) });

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        rawHeaders: req.rawHeaders,
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(200, {
        'content-type': 'application/x-amz-json-1.1',
        'x-upstream': 'stand-in',
        'content-length': Buffer.byteLength(UPSTREAM_BODY),
      });
      res.end(req.method === 'HEAD' ? undefined : UPSTREAM_BODY);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamEndpoint = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

const open: FaultProxy[] = [];
const clientSets: AwsClients[] = [];
afterEach(async () => {
  for (const c of clientSets.splice(0)) c.destroy();
  await Promise.all(open.splice(0).map((p) => p.stop()));
  received.length = 0;
});

async function proxyWith(rules: readonly FaultRule[], seed = 1): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ target: upstreamEndpoint, seed, rules });
  open.push(proxy);
  return proxy;
}

function clientsFor(proxy: FaultProxy, maxAttempts = 1): AwsClients {
  const clients = new AwsClients({ endpoint: proxy.endpoint, maxAttempts });
  clientSets.push(clients);
  return clients;
}

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type RawOutcome =
  | { readonly kind: 'response'; readonly response: RawResponse }
  | { readonly kind: 'failed'; readonly code: string; readonly status?: number };

/** One request on a fresh connection, as an AWS JSON 1.1 call signed for `service`. */
function send(
  proxy: FaultProxy,
  opts: { target?: string; body?: string; service?: string; method?: string; path?: string } = {},
): Promise<RawOutcome> {
  const body = opts.body ?? '{}';
  const url = new URL(opts.path ?? '/', proxy.endpoint);
  return new Promise((resolve) => {
    let status: number | undefined;
    const req = request(
      url,
      {
        method: opts.method ?? 'POST',
        agent: false,
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/${REGION}/${opts.service ?? 'ecs'}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd`,
          'x-amz-date': '20260101T000000Z',
          'content-type': 'application/x-amz-json-1.1',
          ...(opts.target === undefined
            ? { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeClusters' }
            : opts.target
              ? { 'x-amz-target': opts.target }
              : {}),
        },
      },
      (res) => {
        status = res.statusCode;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            kind: 'response',
            response: {
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString(),
            },
          }),
        );
        res.on('error', (e: NodeJS.ErrnoException) =>
          resolve({ kind: 'failed', code: e.code ?? e.message, status }),
        );
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'failed', code: e.code ?? e.message }));
    req.end(opts.method === 'HEAD' || opts.method === 'GET' ? undefined : body);
  });
}

function outcomeOf(result: RawOutcome): string {
  return result.kind === 'response'
    ? String(result.response.status)
    : `failed${result.status ? ' after headers' : ''}`;
}

interface SdkError extends Error {
  readonly $metadata?: { httpStatusCode?: number; attempts?: number };
}

async function sdkError(call: Promise<unknown>): Promise<SdkError> {
  try {
    await call;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the call to fail');
}

describe('startFaultProxy forwarding', () => {
  it('forwards method, path, headers (Host and Authorization included) and body byte for byte', async () => {
    const proxy = await proxyWith([]);
    const body = JSON.stringify({ clusters: ['a', 'b'], include: ['TAGS'] });

    const result = await send(proxy, { body, path: '/some/path?x=1' });

    expect(outcomeOf(result)).toBe('200');
    const [seen] = received;
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/some/path?x=1');
    expect(seen?.body.toString()).toBe(body);
    // The SDK signs for the host it connects to (the proxy); the proxy must pass that Host on.
    expect(seen?.headers.host).toBe(new URL(proxy.endpoint).host);
    expect(seen?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/.*Signature=0123abcd$/,
    );
    expect(seen?.headers['x-amz-date']).toBe('20260101T000000Z');
    expect(seen?.headers['x-amz-target']).toBe('AmazonEC2ContainerServiceV20141113.DescribeClusters');
    expect(seen?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('returns the upstream status, headers and body unchanged', async () => {
    const proxy = await proxyWith([]);

    const result = await send(proxy);

    expect(result).toMatchObject({
      kind: 'response',
      response: { status: 200, body: UPSTREAM_BODY, headers: { 'x-upstream': 'stand-in' } },
    });
  });

  it('answers 502 naming the target when the target does not answer', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const proxy = await startFaultProxy({ target, seed: 1 });
    open.push(proxy);

    const result = await send(proxy);

    expect(result).toMatchObject({ kind: 'response', response: { status: 502 } });
    expect(result.kind === 'response' && result.response.body).toContain(target);
  });

  it('lets SDK calls through when no rule matches them', async () => {
    const proxy = await proxyWith([{ match: 'S3.*', throttle: 1 }]);

    const out = await clientsFor(proxy)
      .ecs(REGION)
      .send(new DescribeClustersCommand({ clusters: ['a'] }));

    expect(out.clusters).toEqual([]);
    expect(proxy.stats()).toMatchObject({ calls: { 'ECS.DescribeClusters': 1 }, failedAttempts: 0 });
  });
});

describe('startFaultProxy error shapes', () => {
  const S3_BUCKET = 'catalog-bucket';
  const cases: {
    readonly operation: string;
    readonly call: (c: AwsClients) => Promise<unknown>;
    readonly throttle: readonly [string, number];
  }[] = [
    {
      operation: 'ECS.DescribeServices',
      call: (c) => c.ecs(REGION).send(new DescribeServicesCommand({ cluster: 'c', services: ['s'] })),
      throttle: ['ThrottlingException', 400],
    },
    {
      operation: 'ECR.BatchGetImage',
      call: (c) =>
        c.ecr(REGION).send(new BatchGetImageCommand({ repositoryName: 'r', imageIds: [{ imageTag: 't' }] })),
      throttle: ['ThrottlingException', 400],
    },
    {
      operation: 'EC2.DescribeSubnets',
      call: (c) => c.ec2(REGION).send(new DescribeSubnetsCommand({})),
      throttle: ['RequestLimitExceeded', 503],
    },
    {
      operation: 'STS.GetCallerIdentity',
      call: (c) => c.sts(REGION).send(new GetCallerIdentityCommand({})),
      throttle: ['Throttling', 400],
    },
    {
      operation: 'SNS.Publish',
      call: (c) =>
        c
          .sns(REGION)
          .send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: 'm' })),
      throttle: ['Throttling', 400],
    },
    {
      operation: 'S3.PutObject',
      call: (c) =>
        c.s3(REGION).send(new PutObjectCommand({ Bucket: S3_BUCKET, Key: 'a/b.json', Body: '{}' })),
      throttle: ['SlowDown', 503],
    },
    {
      operation: 'S3.GetObject',
      call: (c) => c.s3(REGION).send(new GetObjectCommand({ Bucket: S3_BUCKET, Key: 'a/b.json' })),
      throttle: ['SlowDown', 503],
    },
    {
      operation: 'S3.ListObjectsV2',
      call: (c) => c.s3(REGION).send(new ListObjectsV2Command({ Bucket: S3_BUCKET, Prefix: 'a/' })),
      throttle: ['SlowDown', 503],
    },
    {
      operation: 'S3.PutBucketVersioning',
      call: (c) =>
        c.s3(REGION).send(
          new PutBucketVersioningCommand({
            Bucket: S3_BUCKET,
            VersioningConfiguration: { Status: 'Enabled' },
          }),
        ),
      throttle: ['SlowDown', 503],
    },
    {
      operation: 'EBS.PutSnapshotBlock',
      call: (c) =>
        c.ebs(REGION).send(
          new PutSnapshotBlockCommand({
            SnapshotId: 'snap-0123456789abcdef0',
            BlockIndex: 3,
            BlockData: Buffer.alloc(16),
            DataLength: 16,
            Checksum: 'AAAA',
            ChecksumAlgorithm: 'SHA256',
          }),
        ),
      throttle: ['RequestThrottledException', 400],
    },
    {
      operation: 'EFS.DescribeFileSystems',
      call: (c) => c.efs(REGION).send(new DescribeFileSystemsCommand({})),
      throttle: ['ThrottlingException', 429],
    },
  ];

  it.each(cases)(
    'names $operation and throttles it the way that service does',
    async ({ operation, call, throttle }) => {
      const proxy = await proxyWith([{ match: '*', throttle: 1 }]);

      const error = await sdkError(call(clientsFor(proxy)));

      expect({ name: error.name, status: error.$metadata?.httpStatusCode }).toEqual({
        name: throttle[0],
        status: throttle[1],
      });
      expect(proxy.stats()).toMatchObject({ calls: { [operation]: 1 }, faults: { throttle: 1 } });
      expect(received).toHaveLength(0);
    },
  );

  it.each(cases)(
    'answers $operation with a 5xx server error in its protocol',
    async ({ operation, call }) => {
      const proxy = await proxyWith([{ match: operation, serverError: 1 }]);

      const error = await sdkError(call(clientsFor(proxy)));

      expect([500, 503]).toContain(error.$metadata?.httpStatusCode);
      expect(error.name).toMatch(/Internal|Unavailable/);
      expect(proxy.stats().faults['server-error']).toBe(1);
    },
  );

  it.each(cases)(
    'answers $operation with the AWS error a rule names, in its protocol',
    async ({ operation, call }) => {
      const message =
        'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to call <this> & "that"';
      const proxy = await proxyWith([
        { match: operation, awsError: { code: 'AccessDeniedException', message, httpStatus: 403 } },
      ]);

      const error = await sdkError(call(clientsFor(proxy)));

      expect({ name: error.name, status: error.$metadata?.httpStatusCode, message: error.message }).toEqual({
        name: 'AccessDeniedException',
        status: 403,
        message,
      });
      expect(proxy.stats()).toMatchObject({ faults: { 'aws-error': 1 }, failedAttempts: 1 });
      expect(proxy.stats().injected).toEqual([
        { operation, kind: 'aws-error', detail: 'AccessDeniedException 403' },
      ]);
      expect(received).toHaveLength(0);
    },
  );

  it('answers the named error maxFaultsPerRequest times for the same request, then forwards it', async () => {
    const proxy = await proxyWith([
      {
        match: 'ECS.DescribeClusters',
        awsError: { code: 'ClientException', message: 'Too many concurrent attempts', httpStatus: 400 },
        maxFaultsPerRequest: 2,
      },
    ]);
    const ecs = clientsFor(proxy, 3).ecs(REGION);
    const describe = () => ecs.send(new DescribeClustersCommand({ clusters: ['a'] }));

    // A ClientException is not the SDK's to retry: each send meets one answer.
    for (let i = 0; i < 2; i += 1) {
      const error = await sdkError(describe());
      expect([error.name, error.$metadata?.attempts]).toEqual(['ClientException', 1]);
    }
    await describe();

    expect(proxy.stats()).toMatchObject({ totalCalls: 3, faults: { 'aws-error': 2 } });
    expect(received).toHaveLength(1);
  });

  it('answers the named error with its probability, drawn after the other faults', async () => {
    const proxy = await proxyWith([
      {
        match: '*',
        throttle: 0.5,
        awsError: { code: 'ClientException', message: 'm', httpStatus: 400, probability: 0.5 },
      },
    ]);
    const outcomes = new Set<string>();
    for (let i = 0; i < 40; i += 1) {
      const out = await send(proxy, { body: JSON.stringify({ i }) });
      if (out.kind === 'response') outcomes.add(JSON.parse(out.response.body).__type as string);
    }

    expect([...outcomes].sort()).toEqual(['ClientException', 'ThrottlingException']);
    expect(proxy.stats().faults.throttle + proxy.stats().faults['aws-error']).toBe(40);
  });

  it('answers a HEAD request (S3 HeadObject) with the status and no body', async () => {
    const proxy = await proxyWith([{ match: 'S3.HeadObject', throttle: 1 }]);

    const error = await sdkError(
      clientsFor(proxy)
        .s3(REGION)
        .send(new HeadObjectCommand({ Bucket: S3_BUCKET, Key: 'a/b.json' })),
    );

    expect(error.$metadata?.httpStatusCode).toBe(503);
    expect(proxy.stats().calls).toEqual({ 'S3.HeadObject': 1 });
  });

  it('names an unsigned request Unsigned.Unknown and an unknown REST route Service.Unknown', async () => {
    const proxy = await proxyWith([]);

    await send(proxy, { target: '', service: '', method: 'GET' });
    await send(proxy, { target: '', service: 'ebs', method: 'GET', path: '/no/such/route' });

    expect(proxy.stats().calls).toEqual({ 'EBS.Unknown': 1, 'Unsigned.Unknown': 1 });
  });
});

describe('startFaultProxy retries and drops', () => {
  it('costs the SDK one attempt per injected fault and then lets the call through', async () => {
    const proxy = await proxyWith([{ match: 'ECS.*', serverError: 1, maxFaultsPerRequest: 2 }]);

    const out = await clientsFor(proxy, 3)
      .ecs(REGION)
      .send(new DescribeClustersCommand({ clusters: ['a'] }));

    expect(out.$metadata.attempts).toBe(3);
    expect(proxy.stats()).toMatchObject({ totalCalls: 3, failedAttempts: 2 });
    expect(received).toHaveLength(1);
  });

  it('drops a connection before forwarding: the service never sees the request', async () => {
    const proxy = await proxyWith([{ match: '*', drop: 1, dropPhases: ['request'] }]);

    const result = await send(proxy);

    expect(result).toMatchObject({ kind: 'failed', code: 'ECONNRESET' });
    expect(received).toHaveLength(0);
    expect(proxy.stats().faults['drop-request']).toBe(1);
  });

  it('drops a connection after the service answered, before any response byte', async () => {
    const proxy = await proxyWith([{ match: '*', drop: 1, dropPhases: ['response'] }]);

    const result = await send(proxy);

    expect(result).toEqual({ kind: 'failed', code: 'ECONNRESET' });
    expect(received).toHaveLength(1);
    expect(proxy.stats().faults['drop-response']).toBe(1);
  });

  it('drops a connection in the middle of the response body', async () => {
    const proxy = await proxyWith([{ match: '*', drop: 1, dropPhases: ['mid-body'] }]);

    const result = await send(proxy);

    expect(result).toMatchObject({ kind: 'failed', status: 200 });
    expect(received).toHaveLength(1);
    expect(proxy.stats().faults['drop-mid-body']).toBe(1);
  });

  it('counts a mid-body drop of a response without a body as a response drop', async () => {
    const proxy = await proxyWith([{ match: '*', drop: 1, dropPhases: ['mid-body'] }]);

    const result = await send(proxy, { method: 'HEAD' });

    expect(result.kind).toBe('failed');
    expect(proxy.stats().faults).toMatchObject({ 'drop-mid-body': 0, 'drop-response': 1 });
  });

  it.each(DROP_PHASES)('lets the SDK retry past connections dropped at phase %s', async (phase) => {
    const proxy = await proxyWith([{ match: '*', drop: 1, dropPhases: [phase], maxFaultsPerRequest: 2 }]);

    const out = await clientsFor(proxy, 3)
      .ecs(REGION)
      .send(new DescribeClustersCommand({ clusters: ['a'] }));

    expect(out.$metadata.attempts).toBe(3);
    expect(proxy.stats().injected.map((f) => f.kind)).toEqual([`drop-${phase}`, `drop-${phase}`]);
  });
});

describe('startFaultProxy latency and slow bodies', () => {
  it('delays matching requests by latencyMs', async () => {
    const proxy = await proxyWith([{ match: 'ECS.DescribeClusters', latencyMs: [150, 150] }]);

    const started = performance.now();
    const result = await send(proxy);

    expect(outcomeOf(result)).toBe('200');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(proxy.stats().faults.latency).toBe(1);
  });

  it('trickles the response body at slowBodyBytesPerSec and delivers it intact', async () => {
    const proxy = await proxyWith([{ match: '*', slowBodyBytesPerSec: 2_000 }]);

    const started = performance.now();
    const result = await send(proxy);

    const expectedMs = (Buffer.byteLength(UPSTREAM_BODY) / 2_000) * 1000;
    expect(performance.now() - started).toBeGreaterThanOrEqual(expectedMs * 0.8);
    expect(result).toMatchObject({ kind: 'response', response: { status: 200, body: UPSTREAM_BODY } });
    expect(proxy.stats().faults['slow-body']).toBe(1);
  });
});

describe('startFaultProxy determinism and rates', () => {
  const RULES: FaultRule[] = [
    { match: '*', throttle: 0.2, serverError: 0.1, drop: 0.1, dropPhases: ['request', 'response'] },
  ];
  const bodies = Array.from({ length: 60 }, (_, i) => JSON.stringify({ cluster: `c-${i}` }));

  async function outcomes(seed: number, order: 'sequential' | 'concurrent-reversed'): Promise<string[]> {
    const proxy = await proxyWith(RULES, seed);
    if (order === 'sequential') {
      const out: string[] = [];
      for (const body of bodies) out.push(outcomeOf(await send(proxy, { body })));
      return out;
    }
    const reversed = await Promise.all([...bodies].reverse().map((body) => send(proxy, { body })));
    return reversed.map(outcomeOf).reverse();
  }

  it('gives the same requests the same faults for the same seed, whatever order they arrive in', async () => {
    const first = await outcomes(42, 'sequential');
    const second = await outcomes(42, 'concurrent-reversed');

    expect(second).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['200', '400', '500', '503', 'failed']));
  });

  it('gives other faults for another seed', async () => {
    expect(await outcomes(43, 'sequential')).not.toEqual(await outcomes(42, 'sequential'));
  });

  it('gives a repeated request (an SDK retry) a fresh draw', async () => {
    const proxy = await proxyWith([{ match: '*', throttle: 0.5 }], 5);

    const results: string[] = [];
    for (let i = 0; i < 40; i += 1) results.push(outcomeOf(await send(proxy)));

    expect(new Set(results)).toEqual(new Set(['200', '400']));
  });

  it('injects each fault kind at about its configured rate', async () => {
    const proxy = await proxyWith([{ match: '*', throttle: 0.1, serverError: 0.05 }], 1);
    const n = 400;

    for (let batch = 0; batch < n; batch += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => send(proxy, { body: JSON.stringify({ i: batch + i }) })),
      );
    }

    const { faults, totalCalls } = proxy.stats();
    expect(totalCalls).toBe(n);
    expect(faults.throttle / n).toBeCloseTo(0.1, 1);
    expect(faults['server-error'] / n).toBeCloseTo(0.05, 1);
    expect(received).toHaveLength(n - faults.throttle - faults['server-error']);
  });
});

describe('startFaultProxy rules', () => {
  it('lets the first matching rule decide, with globs and regular expressions', async () => {
    const proxy = await proxyWith([
      { match: /^ECS\.DescribeServ/, serverError: 1 },
      { match: 'ECS.Describe?lusters', throttle: 1 },
      { match: '*', drop: 1 },
    ]);

    const services = await send(proxy, { target: 'AmazonEC2ContainerServiceV20141113.DescribeServices' });
    const clusters = await send(proxy);
    const other = await send(proxy, { target: 'AmazonEC2ContainerServiceV20141113.ListClusters' });

    expect([outcomeOf(services), outcomeOf(clusters), outcomeOf(other)]).toEqual([
      expect.stringMatching(/^50[03]$/),
      '400',
      'failed',
    ]);
  });

  it('stops injecting after maxFaults for the rule', async () => {
    const proxy = await proxyWith([{ match: '*', throttle: 1, maxFaults: 2 }]);

    const results: string[] = [];
    for (let i = 0; i < 4; i += 1) results.push(outcomeOf(await send(proxy, { body: `{"i":${i}}` })));

    expect(results).toEqual(['400', '400', '200', '200']);
  });

  it('fails each distinct request at most maxFaultsPerRequest times', async () => {
    const proxy = await proxyWith([{ match: '*', throttle: 1, maxFaultsPerRequest: 1 }]);

    const results = [
      await send(proxy, { body: '{"a":1}' }),
      await send(proxy, { body: '{"a":1}' }),
      await send(proxy, { body: '{"a":2}' }),
      await send(proxy, { body: '{"a":2}' }),
    ].map(outcomeOf);

    expect(results).toEqual(['400', '200', '400', '200']);
  });

  it('replaces the rules with setRules and keeps counting', async () => {
    const proxy = await proxyWith([{ match: '*', throttle: 1 }]);
    await send(proxy);

    proxy.setRules([]);
    const after = await send(proxy);

    expect(outcomeOf(after)).toBe('200');
    expect(proxy.stats()).toMatchObject({ totalCalls: 2, faults: { throttle: 1 } });
  });

  it('clears counts and request history with reset, so the same requests meet the same faults', async () => {
    const proxy = await proxyWith([{ match: '*', throttle: 0.5 }], 9);
    const run = async () => {
      const out: string[] = [];
      for (let i = 0; i < 12; i += 1) out.push(outcomeOf(await send(proxy)));
      return out;
    };
    const first = await run();

    proxy.reset();
    const second = await run();

    expect(second).toEqual(first);
    expect(proxy.stats().totalCalls).toBe(12);
  });

  it.each<[string, FaultRule]>([
    ['throttle must be a probability', { match: '*', throttle: 1.5 }],
    ['serverError must be a probability', { match: '*', serverError: -0.1 }],
    ['sum must be at most 1', { match: '*', throttle: 0.6, drop: 0.6 }],
    ['latencyMs must be', { match: '*', latencyMs: [50, 10] }],
    ['slowBodyBytesPerSec must be a positive rate', { match: '*', slowBodyBytesPerSec: 0 }],
    ['maxFaults must be a whole number', { match: '*', maxFaults: 1.5 }],
    ['dropPhases must list one or more', { match: '*', drop: 1, dropPhases: [] }],
    [
      'awsError.code must be an AWS error code',
      { match: '*', awsError: { code: '<Bad>', message: 'm', httpStatus: 400 } },
    ],
    [
      'awsError.httpStatus must be an error status',
      { match: '*', awsError: { code: 'ClientException', message: 'm', httpStatus: 200 } },
    ],
    [
      'awsError.probability must be a probability',
      { match: '*', awsError: { code: 'ClientException', message: 'm', httpStatus: 400, probability: 2 } },
    ],
    [
      'awsError.probability is 1.5',
      { match: '*', throttle: 0.5, awsError: { code: 'ClientException', message: 'm', httpStatus: 400 } },
    ],
  ])('fails when a rule is invalid: %s', async (message, rule) => {
    await expect(startFaultProxy({ target: upstreamEndpoint, seed: 1, rules: [rule] })).rejects.toThrow(
      FaultProxyConfigError,
    );
    await expect(startFaultProxy({ target: upstreamEndpoint, seed: 1, rules: [rule] })).rejects.toThrow(
      message,
    );
  });

  it('fails when setRules gets an invalid rule, keeping the old rules', async () => {
    const proxy = await proxyWith([{ match: '*', throttle: 1 }]);

    expect(() => proxy.setRules([{ match: '*', drop: 2 }])).toThrow(/rules\[0\] \(\*\)\.drop/);
    expect(outcomeOf(await send(proxy))).toBe('400');
  });

  it.each([
    ['https://127.0.0.1:4566', /does not speak TLS/],
    ['not a url', /must be an http:\/\/ URL/],
  ])('fails when the target is %s', async (target, message) => {
    await expect(startFaultProxy({ target, seed: 1 })).rejects.toThrow(message);
  });

  it('fails when the seed is not an integer', async () => {
    await expect(startFaultProxy({ target: upstreamEndpoint, seed: 0.5 })).rejects.toThrow(
      /seed must be an integer/,
    );
  });
});

describe('FaultProxy.stop', () => {
  it('closes the listener and can be called twice', async () => {
    const proxy = await startFaultProxy({ target: upstreamEndpoint, seed: 1 });

    await proxy.stop();
    await proxy.stop();

    expect(await send(proxy)).toMatchObject({ kind: 'failed', code: 'ECONNREFUSED' });
  });
});
