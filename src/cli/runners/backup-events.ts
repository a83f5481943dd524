import { BACKUP_STATES } from '../../../lib/workflows/backup-workflow';
import type {
  BackupExecutionOutput,
  BackupVolumesResult,
  CaptureHandlerResult,
  CommitBackupResult,
} from '../../backup/results';
import type { RetentionResult } from '../../backup/retention';
import type { WorkflowEvent } from './workflow-runner';

/** The Capture step's result: the recovery point staged, and whether volume copies are pending. */
export interface CaptureStep {
  readonly step: 'capture';
  readonly result: CaptureHandlerResult;
}

/** One CopyVolumes tick's result (the first tick is 1). */
export interface CopyStep {
  readonly step: 'copy';
  readonly tick: number;
  readonly result: BackupVolumesResult;
}

/** The Commit step's result: the recovery point committed. */
export interface CommitStep {
  readonly step: 'commit';
  readonly result: CommitBackupResult;
}

/** ApplyRetention's result, or why it failed (the recovery point is committed either way). */
export interface RetentionStep {
  readonly step: 'retention';
  readonly result?: RetentionResult;
  readonly error?: string;
}

/** What one step of a backup execution returned, as it happens. */
export type BackupStep = CaptureStep | CopyStep | CommitStep | RetentionStep;

/**
 * Follows the events of one backup execution and tells each step's result as its state exits
 * (the Lambda states return their result as the state output).
 */
export class BackupSteps {
  capture: CaptureHandlerResult | undefined;
  readonly ticks: BackupVolumesResult[] = [];
  commit: CommitBackupResult | undefined;
  retention: RetentionResult | undefined;
  /** Why ApplyRetention failed, when it did. */
  retentionError: string | undefined;

  /** The step `event` ends, if it ends one. */
  next(event: WorkflowEvent): BackupStep | undefined {
    if (event.type !== 'StateExited') return undefined;
    switch (event.stateName) {
      case BACKUP_STATES.capture: {
        this.capture = event.output as CaptureHandlerResult;
        return { step: 'capture', result: this.capture };
      }
      case BACKUP_STATES.copyVolumes: {
        const result = event.output as BackupVolumesResult;
        this.ticks.push(result);
        return { step: 'copy', tick: this.ticks.length, result };
      }
      case BACKUP_STATES.commit: {
        this.commit = event.output as CommitBackupResult;
        return { step: 'commit', result: this.commit };
      }
      case BACKUP_STATES.retention: {
        const output = event.output as BackupExecutionOutput;
        this.retention = output.retention;
        return { step: 'retention', ...(output.retention ? { result: output.retention } : {}) };
      }
      case BACKUP_STATES.retentionFailed: {
        const { retentionError } = event.output as BackupExecutionOutput;
        this.retentionError =
          [retentionError?.Error, retentionError?.Cause].filter(Boolean).join(': ') || 'failed';
        return { step: 'retention', error: this.retentionError };
      }
      default:
        return undefined;
    }
  }
}

/** A step of the backup that takes a while starting: the wait before a copy tick, Commit, or retention. */
export type BackupPhase = 'waiting-for-copies' | 'committing' | 'applying-retention';

/** The phase `event` starts, if it starts one. */
export function backupPhaseOf(event: WorkflowEvent): BackupPhase | undefined {
  if (event.type !== 'StateEntered') return undefined;
  if (event.stateName === BACKUP_STATES.waitForCopies) return 'waiting-for-copies';
  if (event.stateName === BACKUP_STATES.commit) return 'committing';
  if (event.stateName === BACKUP_STATES.retention) return 'applying-retention';
  return undefined;
}
