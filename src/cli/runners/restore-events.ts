import { RESTORE_STATES } from '../../../lib/workflows/restore-workflow';
import type { ReportResult } from '../../restore/report';
import type { ServiceResult } from '../../restore/service';
import type { PrepareSharedResult } from '../../restore/shared';
import type { WorkflowEvent } from './workflow-runner';

/** What a restore execution is doing, told from its events. */
export type RestoreProgress =
  | { readonly kind: 'preparing-shared' }
  | { readonly kind: 'shared-prepared'; readonly result: PrepareSharedResult }
  /** `index`: the wave's place among the waves of the execution input (the plan's restorable waves). */
  | { readonly kind: 'wave-started'; readonly index: number }
  /** `index`: the service's place in its wave. */
  | { readonly kind: 'service-started'; readonly index: number }
  /** One service's outcome: RestoreService's result, or the failed record when the function itself failed. */
  | { readonly kind: 'service-done'; readonly result: ServiceResult }
  | { readonly kind: 'checking-wave' }
  | { readonly kind: 'reporting' }
  /** The Report step's result: the report written, and whether every selected service was restored. */
  | { readonly kind: 'reported'; readonly result: ReportResult };

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * A service's record. A RestoreService state that failed into its Catch also exits, with the
 * error instead of a record; the ServiceCrashed state after it makes the record.
 */
function serviceResult(output: unknown): ServiceResult | undefined {
  return typeof field(output, 'service') === 'string' && typeof field(output, 'status') === 'string'
    ? (output as ServiceResult)
    : undefined;
}

/** The progress `event` tells, if any. */
export function restoreProgressOf(event: WorkflowEvent): RestoreProgress | undefined {
  switch (event.type) {
    case 'MapIterationStarted':
      if (event.mapState === RESTORE_STATES.waves) return { kind: 'wave-started', index: event.index };
      if (event.mapState === RESTORE_STATES.services) return { kind: 'service-started', index: event.index };
      return undefined;
    case 'StateEntered':
      if (event.stateName === RESTORE_STATES.prepareShared) return { kind: 'preparing-shared' };
      if (event.stateName === RESTORE_STATES.checkWave) return { kind: 'checking-wave' };
      if (event.stateName === RESTORE_STATES.report) return { kind: 'reporting' };
      return undefined;
    case 'StateExited': {
      if (
        event.stateName === RESTORE_STATES.restoreService ||
        event.stateName === RESTORE_STATES.serviceCrashed
      ) {
        const result = serviceResult(event.output);
        return result ? { kind: 'service-done', result } : undefined;
      }
      // PrepareShared and Report keep their results beside the execution's data (ResultPath).
      if (event.stateName === RESTORE_STATES.prepareShared) {
        return { kind: 'shared-prepared', result: field(event.output, 'shared') as PrepareSharedResult };
      }
      if (event.stateName === RESTORE_STATES.report) {
        return { kind: 'reported', result: field(event.output, 'report') as ReportResult };
      }
      return undefined;
    }
  }
}
