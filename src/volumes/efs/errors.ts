import { LifeboatError } from '../../kernel/errors';

/** An EFS replication call failed in a way the caller must report; `code` goes in the manifest. */
export class EfsReplicationError extends LifeboatError {
  constructor(
    public readonly code: string,
    public readonly fileSystemId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EfsReplicationError';
  }
}
