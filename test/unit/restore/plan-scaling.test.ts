import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/catalog/checksum';
import {
  type ManifestBody,
  manifestBodySchema,
  type ServiceScalingRecord,
} from '../../../src/catalog/manifest';
import { renderPlan } from '../../../src/cli/restore-views';
import { parseRestoreInput } from '../../../src/restore/input';
import { planRestore } from '../../../src/restore/plan';
import {
  ACCOUNT,
  DEPLOYMENT_ID,
  DR,
  emptyMappings,
  shopFleetInventory,
  shopFleetManifest,
} from '../../support/manifest-builder';

const API_SCALING: ServiceScalingRecord = {
  minCapacity: 3,
  maxCapacity: 12,
  policies: [
    {
      policyName: 'api-cpu',
      policyType: 'TargetTrackingScaling',
      targetTracking: { TargetValue: 50 },
      alarmNames: [],
    },
  ],
  scheduledActions: [
    { scheduledActionName: 'night', schedule: 'cron(0 1 * * ? *)', scalableTargetAction: { minCapacity: 1 } },
  ],
  alarms: [],
};

function withApiScaling(body: ManifestBody): void {
  for (const s of body.services) if (s.serviceName === 'api') s.scaling = structuredClone(API_SCALING);
}

function plan(edit: (body: ManifestBody) => void, desiredCountPercent = 100) {
  const input = parseRestoreInput({ dryRun: true, desiredCountPercent, allowPartial: true });
  return planRestore(shopFleetManifest(edit), input, {
    drRegion: DR,
    account: ACCOUNT,
    deploymentId: DEPLOYMENT_ID,
    mappings: emptyMappings(),
    inventory: shopFleetInventory(),
  });
}

describe('planRestore with Application Auto Scaling', () => {
  it('plans the scaling of a service that has it, its minimum scaled as its desired count is', () => {
    const result = plan(withApiScaling, 50);

    const api = result.services.find((s) => s.key === 'shop/api');
    expect(api?.desiredCount).toBe(2);
    expect(api?.scaling).toMatchObject({
      resourceId: 'service/shop/api',
      minCapacity: 2,
      maxCapacity: 12,
      policies: [expect.objectContaining({ policyName: 'api-cpu' })],
      scheduledActions: [expect.objectContaining({ scalableTargetAction: { minCapacity: 1 } })],
    });
    expect(result.services.filter((s) => s.scaling).map((s) => s.key)).toEqual(['shop/api']);
  });

  it('shows it in the plan view, and no section when no service scales', () => {
    expect(renderPlan(plan(withApiScaling), false)).toMatch(
      /Auto scaling\nSERVICE\s+MIN\s+MAX\s+POLICIES\s+ALARMS\s+SCHEDULED\n[─ ]+\nshop\/api\s+3\s+12\s+api-cpu\s+0\s+1\n/,
    );
    expect(
      renderPlan(
        plan(() => {}),
        false,
      ),
    ).not.toContain('Auto scaling');
  });

  it('warns that a target tracking policy on a load balancer metric names the primary load balancer', () => {
    const result = plan((body) => {
      withApiScaling(body);
      const api = body.services.find((s) => s.serviceName === 'api');
      const policy = api?.scaling?.policies[0];
      if (policy)
        policy.targetTracking = {
          TargetValue: 100,
          PredefinedMetricSpecification: {
            PredefinedMetricType: 'ALBRequestCountPerTarget',
            ResourceLabel: 'app/shop/0123/targetgroup/api/4567',
          },
        };
    });

    expect(result.findings).toContainEqual(
      expect.objectContaining({ code: 'SCALING_RESOURCE_LABEL', service: 'shop/api', resource: 'api-cpu' }),
    );
    expect(plan(withApiScaling).findings.map((f) => f.code)).not.toContain('SCALING_RESOURCE_LABEL');
  });

  it('names a scaling capture error of the service as a CAPTURE_ERROR warning', () => {
    const result = plan((body) => {
      body.status = 'partial';
      body.errors.push({
        resourceType: 'scaling',
        resourceId: 'shop/api',
        code: 'AccessDeniedException',
        message: 'DescribeScalingPolicies for shop/api failed',
        at: '2026-01-01T00:00:00.000Z',
      });
    });

    expect(result.findings).toContainEqual(
      expect.objectContaining({ code: 'CAPTURE_ERROR', service: 'shop/api', severity: 'warning' }),
    );
  });
});

describe('serviceRecordSchema scaling', () => {
  it('reads a manifest written before scaling was captured unchanged (no field added)', () => {
    const body = shopFleetManifest();
    const {
      checksum: _checksum,
      signature: _signature,
      ...rest
    } = body as typeof body & { signature?: unknown };
    const parsed = manifestBodySchema.parse(rest);

    expect(parsed.services.every((s) => !('scaling' in s))).toBe(true);
    expect(canonicalJson(parsed)).toBe(canonicalJson(rest));
  });
});
