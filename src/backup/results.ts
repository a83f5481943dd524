import type { PhaseCounts } from '../volumes/ebs/model';
import type { RetentionResult } from './retention';

/**
 * What the backup workflow's steps return (their Lambda outputs): the state machine reads
 * `done` to choose the next state, the CLI shows them.
 */

/** Capture: the recovery point staged, before its volume copies. */
export interface CaptureHandlerResult {
  readonly recoveryPointId: string;
  /** Status so far (copies that fail later can still make it partial). */
  readonly status: 'complete' | 'partial';
  readonly services: number;
  readonly taskDefinitions: number;
  readonly images: number;
  /** EBS volumes snapshotted. */
  readonly volumes: number;
  readonly errors: number;
  /** No volume copy to wait for: go to Commit. */
  readonly done: boolean;
}

/** CopyVolumes: one tick of the volume copies. */
export interface BackupVolumesResult {
  readonly recoveryPointId: string;
  /** Every copy completed or failed: go to Commit. */
  readonly done: boolean;
  /** Volumes by phase. */
  readonly counts: PhaseCounts;
  /** Block engine: bytes sent in this tick. */
  readonly bytesSent: number;
}

/** Commit: the recovery point committed (signed). */
export interface CommitBackupResult {
  readonly recoveryPointId: string;
  /** Catalog key of the committed manifest. */
  readonly key: string;
  readonly status: 'complete' | 'partial';
  readonly services: number;
  /** EBS volumes recorded. */
  readonly volumes: number;
  readonly errors: number;
}

/**
 * The backup execution's output: Commit's result, with ApplyRetention's at `retention`, or the
 * error that stopped it at `retentionError` (the recovery point is committed either way).
 */
export interface BackupExecutionOutput extends CommitBackupResult {
  readonly retention?: RetentionResult;
  readonly retentionError?: { readonly Error?: string; readonly Cause?: string };
}
