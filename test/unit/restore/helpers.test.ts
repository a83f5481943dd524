import { describe, expect, it } from 'vitest';
import { parseRestoreInput } from '../../../src/restore/input';
import { planRestore } from '../../../src/restore/plan';
import { rolesNamedBy } from '../../../src/restore/prepare';
import { buildReport } from '../../../src/restore/report';
import type { RestoreRun } from '../../../src/restore/runs';
import type { CheckedService } from '../../../src/restore/wave-check';
import {
  ACCOUNT,
  DEPLOYMENT_ID,
  DR,
  emptyMappings,
  shopFleetInventory,
  shopFleetManifest,
} from '../../support/manifest-builder';

describe('rolesNamedBy', () => {
  it('finds every IAM role ARN in the task definitions and services, sorted, once each', () => {
    const manifest = shopFleetManifest();
    const roles = rolesNamedBy(manifest);
    expect(roles).toEqual([...new Set(roles)].sort());
    const text = JSON.stringify([manifest.taskDefinitions, manifest.services]);
    for (const role of roles) expect(text).toContain(role);
    const all = text.match(/arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+/g) ?? [];
    expect(roles).toEqual([...new Set(all)].sort());
  });
});

describe('buildReport', () => {
  const manifest = shopFleetManifest();
  const plan = planRestore(manifest, parseRestoreInput({ dryRun: false }), {
    drRegion: DR,
    account: ACCOUNT,
    deploymentId: DEPLOYMENT_ID,
    mappings: emptyMappings(),
    inventory: shopFleetInventory(),
  });
  const startedAt = new Date(Date.parse(plan.recoveryPoint.completedAt) + 60_000);
  const run: RestoreRun = {
    executionName: 'drill-1',
    startedAt: startedAt.toISOString(),
    plan,
    allowedRoles: [],
  };
  const finishedAt = new Date(startedAt.getTime() + 90_000);
  const restorable = plan.services.filter((s) => !s.blocked);

  function checked(status: CheckedService['status'], steady?: boolean) {
    return restorable.map(
      (s): CheckedService => ({
        service: s.key,
        wave: s.wave,
        status,
        ...(steady !== undefined ? { steady } : {}),
      }),
    );
  }

  it('measures RTO from the execution start and RPO from the recovery point completion', () => {
    const report = buildReport(run, [checked('created', true)], DR, finishedAt);
    expect(report.rtoSeconds).toBe(90);
    expect(report.rpoSeconds).toBe(60);
    expect(report.executionName).toBe('drill-1');
    expect(report.recoveryPoint?.id).toBe(manifest.id);
  });

  it('is RESTORED only when every planned service was restored and is steady', () => {
    const report = buildReport(run, [checked('created', true)], DR, finishedAt);
    expect(report.outcome).toBe(plan.totals.blocked === 0 ? 'RESTORED' : 'INCOMPLETE');
    expect(report.totals.restored).toBe(restorable.length);
    expect(report.totals.created).toBe(restorable.length);
  });

  it('counts a restored service that never became steady as not restored', () => {
    const report = buildReport(run, [checked('updated', false)], DR, finishedAt);
    expect(report.outcome).toBe('INCOMPLETE');
    expect(report.totals.notSteady).toBe(restorable.length);
    expect(report.totals.restored).toBe(0);
  });

  it('reports planned services without a result as failed, and blocked ones with the codes that block them', () => {
    const report = buildReport(run, [], DR, finishedAt);
    for (const s of report.services) {
      const planned = plan.services.find((p) => p.key === s.service);
      expect(s.status).toBe(planned?.blocked ? 'blocked' : 'failed');
      expect(s.error?.name).toBe(planned?.blocked ? 'ServiceBlocked' : 'NotRestored');
    }
    expect(report.totals.failed).toBe(restorable.length);
  });
});
