import { describe, expect, it } from 'vitest';
import { BlockIntegrityError, classifyEbsError } from '../../../../src/volumes/ebs/errors';
import { awsError } from '../../../support/aws-errors';

describe('classifyEbsError', () => {
  it.each([
    ['RequestThrottledException', 400],
    ['ConcurrentLimitExceededException', 400],
    ['ThrottlingException', 400],
    ['SomethingElse', 429],
  ])('treats %s (HTTP %i) as throttling', (name, status) => {
    expect(classifyEbsError(awsError(name, status))).toBe('throttled');
  });

  it.each([
    ['InternalServerException', 500],
    ['ServiceUnavailable', 503],
    ['SyntaxError', 502],
  ])('treats %s (HTTP %i) as transient', (name, status) => {
    expect(classifyEbsError(awsError(name, status))).toBe('transient');
  });

  it('treats network errors and integrity failures as transient', () => {
    expect(classifyEbsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(
      'transient',
    );
    expect(classifyEbsError(new BlockIntegrityError('snap-1', 0, 'bad'))).toBe('transient');
  });

  it('does not retry client errors or aborts', () => {
    expect(classifyEbsError(awsError('ValidationException', 400, { Reason: 'INVALID_BLOCK_TOKEN' }))).toBe(
      'fatal',
    );
    expect(classifyEbsError(awsError('AccessDeniedException', 403))).toBe('fatal');
    expect(classifyEbsError(awsError('ResourceNotFoundException', 404))).toBe('fatal');
    expect(classifyEbsError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe('fatal');
    expect(classifyEbsError('boom')).toBe('fatal');
  });
});
