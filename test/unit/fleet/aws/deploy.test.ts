import type { Service } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { isSteady } from '../../../../src/fleet/aws/deploy';

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
