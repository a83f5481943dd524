import type { Service } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { coveredBy, isSteady } from '../../../../src/fleet/aws/deploy';

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
