import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListAliasesCommand } from '@aws-sdk/client-kms';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../support/cli';
import { DR } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

// Issue 15, findings 6 and 7: a mistyped region or an endpoint that is not AWS says so (exit 2 / 4),
// and commands that only read create nothing on the emulator.

const ctx = useEmulator();
const ws = useCliWorkspace(ctx, { prefix: 'lifeboat-cli-edges-', timeoutMs: 60_000 });

let html: Server | undefined;
let htmlEndpoint = '';
beforeAll(async () => {
  html = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html><body>Welcome to nginx!</body></html>');
  });
  await new Promise<void>((ready) => html?.listen(0, '127.0.0.1', ready));
  htmlEndpoint = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((closed) => html?.close(closed));
});

async function bucketNames(): Promise<string[]> {
  const { Buckets } = await ctx.clients.s3(DR).send(new ListBucketsCommand({}));
  return (Buckets ?? []).map((b) => b.Name ?? '');
}

async function lifeboatAliases(): Promise<string[]> {
  const { Aliases } = await ctx.clients.kms(DR).send(new ListAliasesCommand({}));
  return (Aliases ?? []).map((a) => a.AliasName ?? '').filter((name) => name.includes('lifeboat'));
}

describe('lifeboat CLI edges (subprocess)', () => {
  it('a mistyped --dr-region is a usage error (exit 2) naming the nearest region', async () => {
    const { code, stderr } = await ws.lifeboat(ws.onEmulator('status', '--dr-region', 'us-wset-2'));
    expect(code).toBe(2);
    expect(stderr).toContain('"us-wset-2" is not an AWS region; did you mean us-west-2?');
  });

  it('a mistyped --primary-region is a usage error too, also without --endpoint', async () => {
    const { code, stderr } = await ws.lifeboat(['status', '--primary-region', 'eu-wset-1']);
    expect(code).toBe(2);
    expect(stderr).toContain('did you mean eu-west-1?');
  });

  it('an --endpoint that answers HTML exits 4: it answered, but not as AWS does', async () => {
    const { code, stdout, stderr } = await ws.lifeboat([
      'status',
      '--json',
      '--endpoint',
      htmlEndpoint,
      '--config',
      'lifeboat.json',
    ]);
    expect(code).toBe(4);
    const { error } = JSON.parse(stdout);
    expect(error.exitCode).toBe(4);
    expect(error.message).toContain(`the endpoint ${htmlEndpoint} answered, but not as AWS does (`);
    expect(error.message).toContain('check --endpoint / AWS_ENDPOINT_URL');
    expect(error.message).not.toContain('AWS error SyntaxError');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('status on a fresh emulator creates no catalog: the bucket is not found (exit 2)', async () => {
    const { code, stdout } = await ws.lifeboat(ws.onEmulator('status', '--json'));
    expect(code).toBe(2);
    const { error } = JSON.parse(stdout);
    expect(error).toMatchObject({ name: 'CatalogBucketNotFoundError', exitCode: 2 });
    expect(error.message).toContain('does not exist');
    expect(error.message).toContain('Run `lifeboat backup` first');
    expect(await bucketNames()).toEqual([]);
    expect(await lifeboatAliases()).toEqual([]);
  });

  it('recovery-points list on a fresh emulator creates no catalog either', async () => {
    const { code, stderr } = await ws.lifeboat(ws.onEmulator('recovery-points', 'list'));
    expect(code).toBe(2);
    expect(stderr).toContain('Run `lifeboat backup` first');
    expect(await bucketNames()).toEqual([]);
    expect(await lifeboatAliases()).toEqual([]);
  });
});
