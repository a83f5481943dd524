import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from '../../../src/catalog/aws/run-store';
import { restoreRunKey } from '../../../src/catalog/keys';
import { RestoreError, RestoreRunNotFoundError } from '../../../src/restore/errors';
import { RestoreRuns, type SharedResources } from '../../../src/restore/runs';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const KEY = restoreRunKey('exec-1', 'shared');
const SHARED: SharedResources = {
  accessPoints: {},
  targetGroups: {},
  failures: {},
  clustersCreated: [],
  logGroupsCreated: [],
};

const awsError = (name: string, httpStatusCode: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });

async function failure(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

afterAll(() => {
  s3Mock.restore();
  s3.destroy();
});

beforeEach(() => {
  s3Mock.reset();
});

describe('RestoreRuns', () => {
  it('fails a missing document with RestoreRunNotFoundError, telling to start a new execution', async () => {
    s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey', 404));
    const error = await failure(() => new RestoreRuns(new RunStore(s3, 'catalog')).get(KEY));
    expect(error).toBeInstanceOf(RestoreRunNotFoundError);
    expect(error.name).toBe('RestoreRunNotFoundError');
    expect(error.message).toBe(
      `The restore plan s3://catalog/${KEY} does not exist; it is written by the Prepare step of the same execution. ` +
        'Start a new execution of the restore workflow instead of redriving this one.',
    );
  });

  it('fails a refused read with RestoreError naming the code and what the role may lack, the S3 error as cause', async () => {
    const denied = awsError('AccessDenied', 403);
    s3Mock.on(GetObjectCommand).rejects(denied);
    const error = await failure(() => new RestoreRuns(new RunStore(s3, 'catalog')).get(KEY));
    expect(error.name).toBe('RestoreError');
    expect(error.message).toBe(
      `Could not read s3://catalog/${KEY} (AccessDenied); check the restore role may read the catalog.`,
    );
    expect(error.cause).toBe(denied);
  });

  it('fails a refused write with RestoreError naming the catalog and its KMS key, the S3 error as cause', async () => {
    const denied = awsError('KMS.AccessDeniedException', 400);
    s3Mock.on(PutObjectCommand).rejects(denied);
    const error = await failure(() => new RestoreRuns(new RunStore(s3, 'catalog')).put(KEY, SHARED));
    expect(error).toBeInstanceOf(RestoreError);
    expect(error.message).toBe(
      `Could not write s3://catalog/${KEY} (KMS.AccessDeniedException); check the restore role may write the catalog and use its KMS key.`,
    );
    expect(error.cause).toBe(denied);
  });

  it('reads back what it wrote without asking S3 again', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const runs = new RestoreRuns(new RunStore(s3, 'catalog'));
    await runs.put(KEY, SHARED);
    expect(await runs.get<SharedResources>(KEY)).toEqual(SHARED);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});
