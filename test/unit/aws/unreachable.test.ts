import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnreachable } from '../../../src/aws/errors';
import { probeSource } from '../../../src/volumes/efs/aws/replication';

/**
 * `isUnreachable` against what the SDK really throws over loopback sockets: a refused
 * connection, a reset, a request that times out, and services that answer with an error.
 */
let server: Server;
let endpoint: string;
/** A port nothing listens on: bound, then closed. */
let closedPort: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    const [status, code] = (req.url ?? '').includes('fs-000000000000000a')
      ? [403, 'AccessDeniedException']
      : (req.url ?? '').includes('fs-000000000000000b')
        ? [429, 'ThrottlingException']
        : (req.url ?? '').includes('fs-000000000000000c')
          ? [503, 'ServiceUnavailableException']
          : (req.url ?? '').includes('fs-000000000000000d')
            ? [0, 'reset']
            : [0, 'hang'];
    if (code === 'reset') {
      req.socket.destroy();
      return;
    }
    if (code === 'hang') return;
    const body = JSON.stringify({ ErrorCode: code, Message: code });
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': code });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function clientAt(at: string): EFSClient {
  return new EFSClient({
    region: 'us-east-1',
    endpoint: at,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 2,
    // socketTimeout: this handler's requestTimeout only warns unless throwOnRequestTimeout is set.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 500, socketTimeout: 300 }),
  });
}

async function errorOf(fileSystemId: string, at: string = endpoint): Promise<unknown> {
  const efs = clientAt(at);
  try {
    await efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId }));
  } catch (error) {
    return error;
  } finally {
    efs.destroy();
  }
  throw new Error('expected the call to fail');
}

describe('isUnreachable (real SDK errors over loopback)', () => {
  it('is true when nothing answers: connection refused, connection reset, request timeout', async () => {
    expect(isUnreachable(await errorOf('fs-000000000000000e', `http://127.0.0.1:${closedPort}`))).toBe(true);
    expect(isUnreachable(await errorOf('fs-000000000000000d'))).toBe(true);
    expect(isUnreachable(await errorOf('fs-000000000000000f'))).toBe(true);
  });

  it('is true for a 5xx server error that outlived the retries', async () => {
    expect(isUnreachable(await errorOf('fs-000000000000000c'))).toBe(true);
  });

  it('is false for an answer: access denied, throttling that outlived the retries', async () => {
    expect(isUnreachable(await errorOf('fs-000000000000000a'))).toBe(false);
    expect(isUnreachable(await errorOf('fs-000000000000000b'))).toBe(false);
  });

  it('is false for throttling answered with a 503 (EC2 RequestLimitExceeded, S3 SlowDown)', () => {
    for (const name of ['RequestLimitExceeded', 'SlowDown']) {
      expect(
        isUnreachable(Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 503 } })),
      ).toBe(false);
    }
  });

  it('is false for what is no AWS call error at all', () => {
    expect(isUnreachable(undefined)).toBe(false);
    expect(isUnreachable('ECONNREFUSED')).toBe(false);
    expect(isUnreachable(new Error('boom'))).toBe(false);
  });
});

describe('probeSource (real SDK calls over loopback)', () => {
  it('says a region that answers with an error (access denied) answers', async () => {
    const efs = new EFSClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    expect(await probeSource(efs, 'fs-000000000000000a', 2_000)).toBe('answers');
    efs.destroy();
  });

  it('says a region that does not answer within the timeout is unreachable, and returns by then', async () => {
    const efs = new EFSClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 8,
    });
    const started = Date.now();
    expect(await probeSource(efs, 'fs-000000000000000f', 300)).toBe('unreachable');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await probeSource(efs, 'fs-000000000000000d', 5_000)).toBe('unreachable');
    efs.destroy();
  });
});
