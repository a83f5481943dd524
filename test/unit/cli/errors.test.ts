import { describe, expect, it } from 'vitest';
import {
  CatalogBucketNotFoundError,
  CatalogError,
  ChecksumMismatchError,
  ManifestError,
  PartialRecoveryPointError,
  RecoveryPointNotFoundError,
} from '../../../src/catalog/errors';
import {
  AwsAccessError,
  BackupExecutionError,
  describeError,
  EndpointUnreachableError,
  ExitCode,
  UsageError,
} from '../../../src/cli/errors';
import { ConfigError } from '../../../src/config/errors';
import { LifeboatError } from '../../../src/kernel/errors';

const RP = 'rp-20260101T000000000Z-abc123';

function sdkError(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

describe('describeError', () => {
  it.each([
    ['a usage error', new UsageError('bad'), ExitCode.Usage],
    ['an invalid configuration', new ConfigError('bad config', 'lifeboat.account'), ExitCode.Usage],
    ['an unknown recovery point', new RecoveryPointNotFoundError(RP), ExitCode.NotFound],
    [
      'a partial recovery point asked for without --allow-partial',
      new PartialRecoveryPointError(RP),
      ExitCode.Usage,
    ],
    ['a tampered manifest', new ChecksumMismatchError(RP, 'a'.repeat(64), 'b'.repeat(64)), ExitCode.Failed],
    ['an unreadable manifest', new ManifestError('not JSON', RP), ExitCode.Failed],
    ['a missing catalog bucket', new CatalogBucketNotFoundError('lifeboat-catalog-x'), ExitCode.Usage],
    ['a catalog failure', new CatalogError('denied', 'lifeboat-catalog-x'), ExitCode.Failed],
    ['an unreachable endpoint', new EndpointUnreachableError('http://127.0.0.1:1'), ExitCode.Unreachable],
    ['refused credentials', new AwsAccessError('wrong account', 'us-west-2'), ExitCode.Unreachable],
  ])('maps %s to its exit code without a stack trace', (_label, error, exitCode) => {
    const outcome = describeError(error);
    expect(outcome.exitCode).toBe(exitCode);
    expect(outcome.expected).toBe(true);
    expect(outcome.name).toBe(error.name);
  });

  it('says which catalog bucket is missing and how to create it', () => {
    const { message } = describeError(
      new CatalogBucketNotFoundError('lifeboat-catalog-123456789012-us-west-2'),
    );
    expect(message).toContain('lifeboat-catalog-123456789012-us-west-2');
    expect(message).toContain('RecoveryStack');
  });

  it('maps missing or refused credentials (by SDK error name) to exit 4 with what to do', () => {
    for (const name of [
      'CredentialsProviderError',
      'ExpiredToken',
      'InvalidClientTokenId',
      'UnrecognizedClientException',
    ]) {
      const outcome = describeError(sdkError(name, 'nope'));
      expect(outcome.exitCode).toBe(ExitCode.Unreachable);
      expect(outcome.message).toContain('--profile');
    }
  });

  it('maps an answer the SDK cannot parse (not AWS: an HTML page) to exit 4 naming the endpoint', () => {
    const parse = sdkError(
      'SyntaxError',
      `Unexpected token '<', "<html>" is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.`,
      {
        $metadata: { httpStatusCode: 200 },
        $response: { statusCode: 200, headers: { 'content-type': 'text/html' } },
      },
    );
    for (const error of [parse, new CatalogError('could not read', 'lifeboat-catalog-x', { cause: parse })]) {
      const outcome = describeError(error, { endpoint: 'http://127.0.0.1:8080' });
      expect(outcome.exitCode).toBe(ExitCode.Unreachable);
      expect(outcome.message).toContain(
        'the endpoint http://127.0.0.1:8080 answered, but not as AWS does (HTTP 200, text/html, SyntaxError:',
      );
      expect(outcome.message).toContain('check --endpoint / AWS_ENDPOINT_URL');
    }
  });

  it('says "run lifeboat backup first" for a missing catalog bucket', () => {
    expect(describeError(new CatalogBucketNotFoundError('lifeboat-catalog-x')).message).toContain(
      'Run `lifeboat backup` first',
    );
  });

  it('maps network failures, also when wrapped as a cause, to exit 4', () => {
    const refused = sdkError('Error', 'connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' });
    expect(describeError(refused).exitCode).toBe(ExitCode.Unreachable);
    expect(describeError(new Error('outer', { cause: refused })).exitCode).toBe(ExitCode.Unreachable);
    expect(describeError(sdkError('TimeoutError', 'socket timed out')).exitCode).toBe(ExitCode.Unreachable);
  });

  it('maps a catalog failure caused by the network to exit 4, keeping the message that names the bucket', () => {
    const cause = sdkError('Error', 'getaddrinfo ENOTFOUND s3.us-west-2.amazonaws.com', {
      code: 'ENOTFOUND',
    });
    const outcome = describeError(
      new CatalogError('Could not list recovery points in catalog bucket "b".', 'b', { cause }),
    );
    expect(outcome).toMatchObject({ exitCode: ExitCode.Unreachable, expected: true });
    expect(outcome.message).toContain('catalog bucket "b"');
  });

  it('treats other Lifeboat errors as expected failures (their messages say what to fix)', () => {
    expect(describeError(new LifeboatError('restore input rejected'))).toMatchObject({
      exitCode: ExitCode.Failed,
      expected: true,
    });
  });

  it('reports an AWS service error by name, as an expected failure', () => {
    const outcome = describeError(
      sdkError('AccessDeniedException', 'not authorized to ecs:ListClusters', {
        $metadata: { httpStatusCode: 403 },
      }),
    );
    expect(outcome).toMatchObject({ exitCode: ExitCode.Failed, expected: true });
    expect(outcome.message).toBe('AWS error AccessDeniedException: not authorized to ecs:ListClusters');
  });

  it('treats anything else as a bug: exit 1 with the stack shown', () => {
    expect(describeError(new TypeError('x is undefined'))).toMatchObject({
      exitCode: ExitCode.Failed,
      expected: false,
      name: 'TypeError',
    });
    expect(describeError('a string')).toMatchObject({ exitCode: ExitCode.Failed, message: 'a string' });
  });
});

describe('BackupExecutionError', () => {
  const ARN = 'arn:aws:states:us-east-1:111111111111:execution:lifeboat-backup:x';

  it("gives a deployed Lambda step's errorMessage, not its JSON", () => {
    const cause = JSON.stringify({
      errorType: 'StagingError',
      errorMessage: 'staged body is gone.',
      trace: ['at x'],
    });
    const error = new BackupExecutionError(ARN, 'FAILED', 'StagingError', cause);
    expect(error.message).toBe(
      `The backup execution ${ARN} ended FAILED with StagingError: staged body is gone. ` +
        'No recovery point was committed; fix the cause and run `lifeboat backup` again (snapshots it started are removed by retention).',
    );
    expect(describeError(error)).toMatchObject({ exitCode: ExitCode.Failed, expected: true });
  });

  it('says no snapshot was started when nothing was selected', () => {
    const error = new BackupExecutionError(ARN, 'FAILED', 'NothingToBackUpError', 'No ECS service matches.');
    expect(error.message).toBe(
      `The backup execution ${ARN} ended FAILED with NothingToBackUpError: No ECS service matches. No snapshot was started.`,
    );
  });
});
