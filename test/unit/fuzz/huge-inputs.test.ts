import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, openManifest, sealManifest } from '../../../src/catalog/checksum';
import type { ManifestBody } from '../../../src/catalog/manifest';
import { retargetTaskDefinition } from '../../../src/fleet/retarget/task-definition';
import { sanitiseTaskDefinition } from '../../../src/fleet/sanitise';
import { parseRestoreInput } from '../../../src/restore/input';
import { planRestore } from '../../../src/restore/plan';
import { LinearAggregate, linearAggregateChecksum } from '../../../src/volumes/ebs/checksums';
import { parseResumeState, ReplicationLedger } from '../../../src/volumes/ebs/ledger';
import type { ResumeState } from '../../../src/volumes/ebs/resume-state';
import {
  ACCOUNT,
  DEPLOYMENT_ID,
  DR,
  digestOf,
  ecrUri,
  emptyMappings,
  ManifestBuilder,
  PRIMARY,
  replicatedImage,
  shopFleetInventory,
} from '../../support/manifest-builder';

/** ECS rejects a task definition over 64 KiB of JSON. */
const TASK_DEFINITION_LIMIT_BYTES = 65_536;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

/** A DescribeTaskDefinition `taskDefinition` of ten containers padded to just under 64 KiB. */
function describedTaskDefinitionAtLimit(): Record<string, unknown> {
  const image = replicatedImage('shop/web', '1.42.0');
  const containers = Array.from({ length: 10 }, (_, i) => ({
    name: `c${i}`,
    image: image.sourceUri,
    essential: i === 0,
    environment: [] as { name: string; value: string }[],
    secrets: [{ name: 'DB', valueFrom: `arn:aws:secretsmanager:${PRIMARY}:${ACCOUNT}:secret:db-AbCdEf` }],
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': `/ecs/c${i}`, 'awslogs-region': PRIMARY, 'awslogs-stream-prefix': 'x' },
    },
  }));
  const td: Record<string, unknown> = {
    taskDefinitionArn: `arn:aws:ecs:${PRIMARY}:${ACCOUNT}:task-definition/big:7`,
    family: 'big',
    revision: 7,
    status: 'ACTIVE',
    registeredAt: new Date('2026-01-01T00:00:00Z'),
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
    compatibilities: ['EC2', 'FARGATE'],
    networkMode: 'awsvpc',
    cpu: '4096',
    memory: '8192',
    containerDefinitions: containers,
  };
  let n = 0;
  for (;;) {
    const container = containers[n % containers.length] as (typeof containers)[number];
    container.environment.push({ name: `VAR_${n}`, value: `value-${n}-${'x'.repeat(40)}` });
    if (Buffer.byteLength(JSON.stringify(td)) > TASK_DEFINITION_LIMIT_BYTES - 200) break;
    n += 1;
  }
  return td;
}

describe('a task definition at the 64 KiB limit', () => {
  it('sanitises, retargets, seals and opens intact within a second, without touching its input', () => {
    const described = deepFreeze(describedTaskDefinitionAtLimit());
    const size = Buffer.byteLength(JSON.stringify(described));
    expect(size).toBeGreaterThan(TASK_DEFINITION_LIMIT_BYTES - 400);
    expect(size).toBeLessThanOrEqual(TASK_DEFINITION_LIMIT_BYTES);
    const image = replicatedImage('shop/web', '1.42.0');

    const { value: opened, ms } = timed(() => {
      const registerInput = deepFreeze(sanitiseTaskDefinition(described));
      const retargeted = retargetTaskDefinition(registerInput, {
        account: ACCOUNT,
        primaryRegion: PRIMARY,
        drRegion: DR,
        secretMappings: {},
        images: [image],
        efsFileSystems: {},
        efsAccessPoints: {},
      });
      const manifest = new ManifestBuilder()
        .service('shop/big', { registerInput: retargeted.registerInput })
        .build();
      return { registerInput, retargeted, manifest, reopened: openManifest(canonicalJson(manifest)) };
    });

    expect(ms).toBeLessThan(1_000);
    const { registerInput, retargeted, manifest, reopened } = opened;
    expect(registerInput).not.toHaveProperty('taskDefinitionArn');
    expect(registerInput).not.toHaveProperty('requiresAttributes');
    expect(registerInput.containerDefinitions).toHaveLength(10);
    const drImage = ecrUri(DR, 'shop/web', digestOf('shop/web:1.42.0'));
    expect(retargeted.registerInput.containerDefinitions.every((c) => c.image === drImage)).toBe(true);
    expect(JSON.stringify(retargeted.registerInput)).not.toContain(`:${PRIMARY}:`);
    // Every environment variable survives the round trip.
    const variables = (td: { containerDefinitions: { environment?: unknown[] }[] }) =>
      td.containerDefinitions.reduce((n, c) => n + (c.environment?.length ?? 0), 0);
    expect(variables(reopened.taskDefinitions[0]?.registerInput as never)).toBe(
      variables(described as never),
    );
    expect(reopened).toEqual(manifest);
  });
});

/** A recovery point of 1,000 services over 20 clusters and 5 waves. */
function thousandServiceManifest(): ManifestBody {
  const builder = new ManifestBuilder();
  for (let i = 0; i < 1_000; i += 1) {
    builder.service(`cluster${i % 20}/svc${String(i).padStart(4, '0')}`, {
      wave: (i % 5) + 1,
      desiredCount: (i % 7) + 1,
    });
  }
  const { checksum: _checksum, ...body } = builder.build();
  return body;
}

describe('a recovery point with 1,000 services', () => {
  it('seals, opens and plans within seconds, deterministically, without touching its inputs', () => {
    const body = thousandServiceManifest();
    const { value: manifest, ms: sealMs } = timed(() =>
      deepFreeze(openManifest(canonicalJson(sealManifest(body)))),
    );
    const input = deepFreeze(parseRestoreInput({ dryRun: false, exclude: ['cluster3/*'] }));
    const ctx = deepFreeze({
      drRegion: DR,
      account: ACCOUNT,
      deploymentId: DEPLOYMENT_ID,
      mappings: emptyMappings(),
      inventory: shopFleetInventory(),
    });

    const first = timed(() => planRestore(manifest, input, ctx));
    const second = timed(() => planRestore(manifest, input, ctx));

    expect(sealMs).toBeLessThan(3_000);
    expect(first.ms).toBeLessThan(5_000);
    expect(canonicalJson(second.value)).toBe(canonicalJson(first.value));
    expect(first.value.services).toHaveLength(950);
    expect(first.value.waves.map((w) => w.wave)).toEqual([1, 2, 3, 4, 5]);
    expect(first.value.waves.reduce((n, w) => n + w.services.length, 0)).toBe(950);
    expect(first.value.clusters).toHaveLength(19);
    expect(first.value.totals.desiredTasks).toBe(
      manifest.services
        .filter((s) => s.clusterName !== 'cluster3')
        .reduce((n, s) => n + (s.createInput.desiredCount as number), 0),
    );
  });
});

/** 10,000 distinct block digests, and what the EBS API would report over them. */
function blockDigests(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => createHash('sha256').update(`block-${i}`).digest());
}

describe('EBS block helpers over 10,000 blocks', () => {
  const BLOCKS = 10_000;
  const digests = blockDigests(BLOCKS);
  const expected = linearAggregateChecksum(digests);

  it('resumes the aggregate from a saved state at any point and gets the one-pass checksum', () => {
    const { ms } = timed(() => {
      for (const cut of [1, 2, 4_999, 5_000, 9_999]) {
        const first = new LinearAggregate();
        for (const d of digests.slice(0, cut)) first.add(d);
        const resumed = new LinearAggregate(JSON.parse(JSON.stringify(first.toState())));
        for (const d of digests.slice(cut)) resumed.add(d);
        expect(resumed.digests).toBe(BLOCKS);
        expect(resumed.checksum()).toBe(expected);
      }
    });
    expect(ms).toBeLessThan(5_000);
  });

  it('folds out-of-order completions, survives an interruption through its resume state, and keeps that state small', () => {
    const WINDOW = 64;
    // Every third block is a skipped zero block (no digest, not written).
    const written = (i: number) => i % 3 !== 0;
    const checksumOfWritten = linearAggregateChecksum(digests.filter((_, i) => written(i)));

    const { ms } = timed(() => {
      const ledger = new ReplicationLedger(WINDOW);
      const inFlight: number[] = [];
      let interruptedAt: ResumeState | undefined;
      for (let i = 0; i < BLOCKS; i += 1) {
        expect(ledger.admit(i)).toBe('todo');
        inFlight.push(i);
        if (inFlight.length === WINDOW) {
          // Workers finish out of order: newest first.
          for (const index of inFlight.reverse())
            ledger.complete(index, written(index) ? digests[index] : undefined);
          inFlight.length = 0;
        }
        if (i === 6_000) {
          interruptedAt = parseResumeState({
            version: 1,
            sourceSnapshotId: 'snap-source',
            targetSnapshotId: 'snap-target',
            progress: ledger.state(),
          });
          break;
        }
      }
      expect(Buffer.byteLength(JSON.stringify(interruptedAt))).toBeLessThan(8_192);

      const resumed = new ReplicationLedger(WINDOW, interruptedAt?.progress);
      for (let i = 0; i < BLOCKS; i += 1) {
        if (resumed.admit(i) === 'todo') resumed.complete(i, written(i) ? digests[i] : undefined);
      }
      const result = resumed.finish();
      expect(result.checksum).toBe(checksumOfWritten);
      expect(result.writtenCount).toBe(digests.filter((_, i) => written(i)).length);
    });
    expect(ms).toBeLessThan(5_000);
  });
});
