import type { Service } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import type { RestoreRun } from '../../../src/catalog/aws/run-store';
import { RestoreSettingsError } from '../../../src/restore/errors';
import { parseRestoreInput } from '../../../src/restore/input';
import { planRestore } from '../../../src/restore/plan';
import { rolesNamedBy } from '../../../src/restore/prepare';
import { buildReport } from '../../../src/restore/report';
import { coveredBy } from '../../../src/restore/service';
import { restoreSettingsFromEnv } from '../../../src/restore/settings';
import { type CheckedService, isSteady } from '../../../src/restore/wave-check';
import {
  ACCOUNT,
  DR,
  emptyMappings,
  shopFleetInventory,
  shopFleetManifest,
} from '../../support/manifest-builder';

describe('coveredBy', () => {
  it('accepts members ECS adds to what was sent', () => {
    expect(coveredBy({ family: 'web', cpu: '256' }, { family: 'web', cpu: '256', revision: 3 })).toBe(true);
  });

  it('treats numbers and their string form as equal (ECS echoes cpu and memory as strings)', () => {
    expect(coveredBy({ cpu: 256 }, { cpu: '256' })).toBe(true);
    expect(coveredBy({ memory: '512' }, { memory: 1024 })).toBe(false);
  });

  it('compares arrays element by element and requires the same length', () => {
    expect(coveredBy([{ name: 'a' }], [{ name: 'a', essential: true }])).toBe(true);
    expect(coveredBy([{ name: 'a' }], [{ name: 'a' }, { name: 'b' }])).toBe(false);
    expect(coveredBy([{ name: 'a' }, { name: 'b' }], [{ name: 'b' }, { name: 'a' }])).toBe(false);
  });

  it('rejects a missing member, a changed value and a type change', () => {
    expect(coveredBy({ image: 'x@sha256:1' }, {})).toBe(false);
    expect(coveredBy({ image: 'x@sha256:1' }, { image: 'x@sha256:2' })).toBe(false);
    expect(coveredBy({ env: [] }, { env: {} })).toBe(false);
    expect(coveredBy({ essential: true }, { essential: 'true' })).toBe(false);
  });
});

describe('isSteady', () => {
  const service = (overrides: Partial<Service>): Service => ({
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    deployments: [{ status: 'PRIMARY' }],
    ...overrides,
  });

  it('is steady with one deployment whose rollout completed', () => {
    expect(isSteady(service({ runningCount: 0, deployments: [{ rolloutState: 'COMPLETED' }] }))).toBe(true);
  });

  it('is not steady while a rollout is in progress or with two deployments', () => {
    expect(isSteady(service({ deployments: [{ rolloutState: 'IN_PROGRESS' }] }))).toBe(false);
    expect(isSteady(service({ deployments: [{ status: 'PRIMARY' }, { status: 'ACTIVE' }] }))).toBe(false);
  });

  it('without a rollout state, compares running and desired counts', () => {
    expect(isSteady(service({}))).toBe(true);
    expect(isSteady(service({ runningCount: 1 }))).toBe(false);
  });

  it('is never steady when the service is not ACTIVE', () => {
    expect(isSteady(service({ status: 'DRAINING' }))).toBe(false);
  });
});

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
    expect(report.recoveryPoint.id).toBe(manifest.id);
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

describe('restoreSettingsFromEnv', () => {
  const config = JSON.stringify({ account: ACCOUNT, drRegion: DR });

  it('reads the configuration, bucket, key and topic; the primary region is not needed', () => {
    const settings = restoreSettingsFromEnv({
      LIFEBOAT_CONFIG: config,
      CATALOG_BUCKET: 'catalog',
      CATALOG_KMS_KEY_ID: 'alias/lifeboat-catalog',
      REPORT_TOPIC_ARN: 'arn:aws:sns:us-west-2:123456789012:reports',
    });
    expect(settings).toMatchObject({
      config: { account: ACCOUNT, drRegion: DR },
      bucket: 'catalog',
      kmsKeyId: 'alias/lifeboat-catalog',
      topicArn: 'arn:aws:sns:us-west-2:123456789012:reports',
    });
    expect(Object.keys(settings.config).sort()).toEqual(['account', 'drRegion', 'mappings']);
  });

  it.each([
    ['LIFEBOAT_CONFIG missing', { CATALOG_BUCKET: 'catalog' }, 'LIFEBOAT_CONFIG'],
    ['LIFEBOAT_CONFIG not JSON', { LIFEBOAT_CONFIG: '{', CATALOG_BUCKET: 'catalog' }, 'LIFEBOAT_CONFIG'],
    ['CATALOG_BUCKET missing', { LIFEBOAT_CONFIG: config }, 'CATALOG_BUCKET'],
  ])('fails naming the variable when %s, without echoing values', (_name, env, variable) => {
    let error: unknown;
    try {
      restoreSettingsFromEnv(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RestoreSettingsError);
    expect((error as RestoreSettingsError).variable).toBe(variable);
  });
});
