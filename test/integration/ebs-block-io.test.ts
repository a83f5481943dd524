import { createHash } from 'node:crypto';
import { type ServiceInputTypes, type ServiceOutputTypes, StartSnapshotCommand } from '@aws-sdk/client-ebs';
import type { DeserializeMiddleware } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { EbsCaller, writeBlock } from '../../src/volumes/ebs/aws/block-io';
import { EBS_BLOCK_SIZE_BYTES } from '../../src/volumes/ebs/checksums';
import { useEmulator } from '../support/emulator';

const REGION = 'eu-west-1';
const ctx = useEmulator();

describe('writeBlock', () => {
  it('sends the verified block digest as the signed payload hash instead of hashing the body again', async () => {
    const ebs = ctx.clients.ebs(REGION);
    const started = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const data = Buffer.alloc(EBS_BLOCK_SIZE_BYTES, 7);
    // The digest of other data: had the signer hashed the body, the header would show the body's hash.
    const digest = createHash('sha256').update('the digest the engine computed').digest();

    const sent: Record<string, string>[] = [];
    // The deserialize step sees the request as it goes on the wire: built and signed.
    const record: DeserializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) sent.push({ ...request.headers });
      return next(args);
    };
    ebs.middlewareStack.add(record, { step: 'deserialize', name: 'recordSignedRequest' });
    try {
      // The service may refuse the mismatch; what matters here is what was signed and sent.
      await writeBlock(ebs, new EbsCaller(), started.SnapshotId as string, 3, data, digest).catch(
        () => undefined,
      );
    } finally {
      ebs.middlewareStack.remove('recordSignedRequest');
    }

    expect(sent.length).toBeGreaterThanOrEqual(1);
    const headers = sent[0] as Record<string, string>;
    expect(headers['x-amz-content-sha256']).toBe(digest.toString('hex'));
    expect(headers['x-amz-content-sha256']).not.toBe(createHash('sha256').update(data).digest('hex'));
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(headers.authorization ?? '')?.[1]?.split(';');
    expect(signedHeaders).toContain('x-amz-content-sha256');
  });
});
