import { describe, expect, it } from 'vitest';
import { BackupEventError } from '../../../src/backup/errors';
import { recoveryPointIdOf } from '../../../src/backup/handler-support';

describe('recoveryPointIdOf', () => {
  it('reads the recovery point id of a backup step event', () => {
    expect(recoveryPointIdOf({ recoveryPointId: 'rp-20260101T000000000Z-abc123', done: false })).toBe(
      'rp-20260101T000000000Z-abc123',
    );
  });

  it('fails with a BackupEventError naming the expected shape for a missing or malformed id', () => {
    expect(() => recoveryPointIdOf({})).toThrow(BackupEventError);
    expect(() => recoveryPointIdOf(null)).toThrow(/"recoveryPointId": "rp-…"/);
    expect(() => recoveryPointIdOf({ recoveryPointId: 'latest' })).toThrow(/got recoveryPointId "latest"/);
  });
});
