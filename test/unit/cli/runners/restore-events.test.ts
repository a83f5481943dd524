import { describe, expect, it } from 'vitest';
import { RESTORE_STATES } from '../../../../lib/workflows/restore-workflow';
import { restoreProgressOf } from '../../../../src/cli/runners/restore-events';

const restored = { service: 'shop/web', status: 'created', taskDefinitionArn: 'arn:td/shop-web:1' };
const crashed = { service: 'shop/api', status: 'failed', error: { name: 'Lambda.Unknown', message: 'boom' } };

describe('restoreProgressOf', () => {
  it('tells the waves and the services of a wave starting, by their Map state', () => {
    expect(
      restoreProgressOf({ type: 'MapIterationStarted', mapState: RESTORE_STATES.waves, index: 1 }),
    ).toEqual({ kind: 'wave-started', index: 1 });
    expect(
      restoreProgressOf({ type: 'MapIterationStarted', mapState: RESTORE_STATES.services, index: 0 }),
    ).toEqual({ kind: 'service-started', index: 0 });
    expect(restoreProgressOf({ type: 'MapIterationStarted', mapState: 'Other', index: 0 })).toBeUndefined();
  });

  it('tells the shared resources, the steady-state checks and the report starting', () => {
    const enter = (stateName: string) => restoreProgressOf({ type: 'StateEntered', stateName });
    expect(enter(RESTORE_STATES.prepareShared)).toEqual({ kind: 'preparing-shared' });
    expect(enter(RESTORE_STATES.checkWave)).toEqual({ kind: 'checking-wave' });
    expect(enter(RESTORE_STATES.report)).toEqual({ kind: 'reporting' });
    expect(enter(RESTORE_STATES.prepare)).toBeUndefined();
  });

  it("tells each service's outcome: RestoreService's record, or the record ServiceCrashed makes", () => {
    const exit = (stateName: string, output: unknown) =>
      restoreProgressOf({ type: 'StateExited', stateName, output });
    expect(exit(RESTORE_STATES.restoreService, restored)).toEqual({ kind: 'service-done', result: restored });
    // A RestoreService that failed into its Catch exits with the error, not a record.
    expect(
      exit(RESTORE_STATES.restoreService, {
        key: 'shop/api',
        error: { Error: 'Lambda.Unknown', Cause: 'boom' },
      }),
    ).toBeUndefined();
    expect(exit(RESTORE_STATES.serviceCrashed, crashed)).toEqual({ kind: 'service-done', result: crashed });
  });

  it('reads the PrepareShared and Report results from where their ResultPath puts them', () => {
    const shared = {
      clustersCreated: 1,
      logGroupsCreated: 0,
      accessPointsCreated: 0,
      fileSystemsFailedOver: 0,
      failures: [],
    };
    const report = { allRestored: true, reportKey: 'restore-reports/x.json', failedServices: [], report: {} };
    expect(
      restoreProgressOf({ type: 'StateExited', stateName: RESTORE_STATES.prepareShared, output: { shared } }),
    ).toEqual({ kind: 'shared-prepared', result: shared });
    expect(
      restoreProgressOf({
        type: 'StateExited',
        stateName: RESTORE_STATES.report,
        output: { waves: [], report },
      }),
    ).toEqual({ kind: 'reported', result: report });
  });
});
