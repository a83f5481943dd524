import type { RunStore } from '../catalog/aws/run-store';
import { RunDocumentError, RunDocumentNotFoundError } from '../catalog/errors';
import { RestoreError, RestoreRunNotFoundError } from './errors';
import type { RestorePlan } from './plan';

/** What Prepare stores for the later steps of the same execution. */
export interface RestoreRun {
  readonly executionName: string;
  readonly startedAt: string;
  readonly plan: RestorePlan;
  /** Every IAM role ARN the recovery point names: the only roles the restore passes to ECS. */
  readonly allowedRoles: string[];
}

/** What PrepareShared made, for the service restores. */
export interface SharedResources {
  /** Source EFS access point id → the DR access point made (or found) for it. */
  readonly accessPoints: Record<string, string>;
  /** Primary target group ARN → the DR target group made (or found) for it. */
  readonly targetGroups: Record<string, string>;
  /** Primary Cloud Map service ARN → the DR Cloud Map service made (or found) for it. */
  readonly cloudMapServices?: Record<string, string>;
  /** Shared resources that could not be prepared: `resource` → reason. Services needing them fail. */
  readonly failures: Record<string, string>;
  readonly clustersCreated: string[];
  readonly logGroupsCreated: string[];
}

/** A catalog failure in the restore's terms: the error names the restore workflow reports. */
function restoreErrorOf(error: unknown): unknown {
  if (error instanceof RunDocumentNotFoundError) return new RestoreRunNotFoundError(error.key, error.bucket);
  if (error instanceof RunDocumentError) {
    const fix =
      error.operation === 'write'
        ? 'check the restore role may write the catalog and use its KMS key'
        : 'check the restore role may read the catalog';
    return new RestoreError(
      `Could not ${error.operation} s3://${error.bucket}/${error.key} (${error.code}); ${fix}.`,
      { cause: error.cause },
    );
  }
  return error;
}

/**
 * The documents of restore executions in the catalog (`restore-runs/<execution>/plan.json` and
 * `shared.json`, see `restoreRunKey`), kept in the catalog's run store. A document that is not
 * there fails with RestoreRunNotFoundError, one S3 refuses with RestoreError.
 */
export class RestoreRuns {
  constructor(private readonly store: RunStore) {}

  async put(key: string, body: object): Promise<void> {
    try {
      await this.store.put(key, body);
    } catch (error) {
      throw restoreErrorOf(error);
    }
  }

  /** Reads a document; cached per container (the documents of a run never change). */
  async get<T extends object>(key: string): Promise<T> {
    try {
      return await this.store.get<T>(key);
    } catch (error) {
      throw restoreErrorOf(error);
    }
  }

  /** Reads a document that a step may not have written (its step did not run): undefined then. */
  async find<T extends object>(key: string): Promise<T | undefined> {
    try {
      return await this.store.get<T>(key);
    } catch (error) {
      if (error instanceof RunDocumentNotFoundError) return undefined;
      throw restoreErrorOf(error);
    }
  }
}
