import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, openManifest } from '../../../src/catalog/checksum';
import { ChecksumMismatchError, ManifestError } from '../../../src/catalog/errors';
import type { Manifest } from '../../../src/catalog/manifest';
import { ConfigError } from '../../../src/config/errors';
import { CONFIG_CONTEXT_KEY, parseConfig } from '../../../src/config/schema';
import {
  InvalidRestoreInputError,
  NoServicesSelectedError,
  RecoveryPointUnusableError,
} from '../../../src/restore/errors';
import { parseRestoreInput, RESTORE_INPUT_FIELDS } from '../../../src/restore/input';
import { type PlanContext, planRestore } from '../../../src/restore/plan';
import {
  ACCOUNT,
  DEPLOYMENT_ID,
  DR,
  emptyMappings,
  PRIMARY,
  shopFleetInventory,
  shopFleetManifest,
} from '../../support/manifest-builder';

/**
 * Bad input never crashes the pure core: every case either succeeds or throws the module's
 * typed error with a message that names a field or says what to fix. No TypeError or
 * RangeError, no case slower than its budget, and no input is changed (inputs are deep-frozen,
 * so a write throws in strict mode, and compared with a copy afterwards).
 */

const SEED = 20260126;
/** Per case; a pathological regex or quadratic loop would blow it, not the suite's timeout. */
const CASE_BUDGET_MS = 250;

/** Cases tried per target, reported at the end (vitest prints it with --reporter=verbose). */
const casesTried: Record<string, number> = {};

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) {
      deepFreeze((value as Record<PropertyKey, unknown>)[key]);
    }
  }
  return value;
}

/** Runs `fn` once per case, timing it against the budget; returns what it threw (or undefined). */
function attempt(target: string, fn: () => unknown): unknown {
  casesTried[target] = (casesTried[target] ?? 0) + 1;
  const started = performance.now();
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  const elapsed = performance.now() - started;
  if (elapsed > CASE_BUDGET_MS) {
    throw new Error(`${target} took ${elapsed.toFixed(0)} ms for one case (budget ${CASE_BUDGET_MS} ms)`);
  }
  return thrown;
}

/** Values JSON can carry plus the odd shapes a hand-written input or a bad caller produces. */
const anyValue = fc.anything({
  maxDepth: 3,
  withNullPrototype: true,
  withSparseArray: true,
  withDate: true,
  withBoxedValues: true,
});

/** A near-valid value for each restore input field: right type most of the time, edges included. */
const restoreFieldValue: Record<(typeof RESTORE_INPUT_FIELDS)[number], fc.Arbitrary<unknown>> = {
  recoveryPoint: fc.oneof(
    fc.constant('latest'),
    fc.stringMatching(/^rp-\d{8}T\d{9}Z-[a-f0-9]{6}$/),
    fc.string({ maxLength: 40 }),
    anyValue,
  ),
  services: fc.oneof(
    fc.array(fc.stringMatching(/^[a-z*?]{1,6}\/[a-z*?]{1,6}$/), { maxLength: 4 }),
    fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 }),
    fc.string({ maxLength: 12 }),
    anyValue,
  ),
  exclude: fc.oneof(fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }), anyValue),
  dryRun: fc.oneof(fc.boolean(), fc.constantFrom('true', 'false', 0, 1, null), anyValue),
  desiredCountPercent: fc.oneof(
    fc.integer({ min: -10, max: 110 }),
    fc.double(),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, '50', null),
  ),
  allowPartial: fc.oneof(fc.boolean(), anyValue),
  waitForSteadyState: fc.oneof(fc.boolean(), anyValue),
  steadyStateTimeoutMinutes: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double(), anyValue),
  comment: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 1020, maxLength: 1100 }), anyValue),
  continueOnWaveFailure: fc.oneof(fc.boolean(), anyValue),
  adopt: fc.oneof(
    fc.array(fc.stringMatching(/^[a-z*]{1,6}\/[a-z*]{1,6}$/), { maxLength: 3 }),
    fc.string({ maxLength: 12 }),
    anyValue,
  ),
  promoteFileSystems: fc.oneof(fc.boolean(), anyValue),
};

const misspelt = fc.constantFrom(
  'recoveryPiont',
  'dry_run',
  'DryRun',
  'service',
  'excludes',
  'Comment',
  '__proto__',
);

/** A restore input: a record of some real fields and some unknown or misspelt ones, or not an object. */
const restoreInput = fc.oneof(
  { weight: 6, arbitrary: fc.record(restoreFieldValue, { requiredKeys: [] }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.record(restoreFieldValue, { requiredKeys: [] }),
        fc.dictionary(fc.oneof(misspelt, fc.string({ maxLength: 8 })), anyValue, { maxKeys: 3 }),
      )
      .map(([known, extra]) => ({ ...known, ...extra })),
  },
  { weight: 2, arbitrary: anyValue },
);

describe('parseRestoreInput under fuzzed input', () => {
  it('returns a complete input or throws InvalidRestoreInputError naming the field, without touching the input', () => {
    fc.assert(
      fc.property(restoreInput, (raw) => {
        const frozen = deepFreeze(raw);
        const before = safeCanonical(frozen);
        let parsed: unknown;
        const thrown = attempt('parseRestoreInput', () => {
          parsed = parseRestoreInput(frozen);
        });
        expect(safeCanonical(frozen)).toBe(before);
        if (thrown === undefined) {
          expect(Object.keys(parsed as object).sort()).toEqual(
            expect.arrayContaining(RESTORE_INPUT_FIELDS.filter((f) => f !== 'comment').sort()),
          );
          return;
        }
        expect(thrown).toBeInstanceOf(InvalidRestoreInputError);
        const error = thrown as InvalidRestoreInputError;
        expect(error.name).toBe('InvalidRestoreInputError');
        expect(error.message.length).toBeGreaterThan(20);
        // The message names the offending field (or says the whole input must be an object). An
        // unknown field is quoted as given; the empty name is reported as `field` '""'.
        const head = error.field.replace(/[.[].*$/, '');
        if (error.field === '(root)') expect(error.message).toMatch(/JSON object|\(root\)/);
        else if (error.field === '""') expect(error.message).toContain('unknown field ""');
        else if (!(RESTORE_INPUT_FIELDS as string[]).includes(head))
          expect(error.message).toContain(`unknown field "${error.field}"`);
        else expect(error.message).toContain(head);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

/** A valid configuration, then one member replaced, removed or added. */
const validConfig = {
  account: ACCOUNT,
  primaryRegion: PRIMARY,
  drRegion: DR,
  selection: { tags: { 'lifeboat:backup': 'true' }, include: ['*/*'], exclude: [] },
  retention: { days: 35, minRecoveryPoints: 3 },
  mappings: { subnets: { 'subnet-1': 'subnet-2' } },
  images: { replication: { manage: true, repositoryPrefixes: ['shop/'] } },
  logRetentionDays: 90,
};
const configPaths: string[][] = [
  ['account'],
  ['primaryRegion'],
  ['drRegion'],
  ['schedule'],
  ['selection'],
  ['selection', 'tags'],
  ['selection', 'include'],
  ['retention', 'days'],
  ['retention', 'minRecoveryPoints'],
  ['rpoTargetMinutes'],
  ['mappings', 'subnets'],
  ['catalog'],
  ['catalog', 'objectLockMode'],
  ['images', 'replication', 'repositoryPrefixes'],
  ['images', 'backfillWaitSeconds'],
  ['logRetentionDays'],
  ['unknownSetting'],
  ['selection', 'tagz'],
];

function withMember(base: unknown, path: readonly string[], value: unknown, remove: boolean): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const record = base !== null && typeof base === 'object' && !Array.isArray(base) ? base : {};
  const copy: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  if (remove && rest.length === 0) delete copy[head];
  else copy[head] = withMember(copy[head], rest, value, remove);
  return copy;
}

const configInput = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...configPaths),
        fc.oneof(
          anyValue,
          fc.string({ maxLength: 30 }),
          fc.integer({ min: -100, max: 100_000 }),
          fc.constantFrom('cron(0 * * * ? *)', 'rate(0 minutes)', 'us-west-2', '1234', 'COMPLIANCE'),
        ),
        fc.boolean(),
      )
      .map(([path, value, remove]) => withMember(validConfig, path, value, remove)),
  },
  { weight: 2, arbitrary: anyValue },
);

describe('parseConfig under fuzzed input', () => {
  it('returns a configuration or throws ConfigError whose key names the setting, without touching the input', () => {
    fc.assert(
      fc.property(configInput, (raw) => {
        const frozen = deepFreeze(raw);
        const before = safeCanonical(frozen);
        const thrown = attempt('parseConfig', () => parseConfig(frozen));
        expect(safeCanonical(frozen)).toBe(before);
        if (thrown === undefined) return;
        expect(thrown).toBeInstanceOf(ConfigError);
        const error = thrown as ConfigError;
        expect(error.name).toBe('ConfigError');
        expect(error.key.startsWith(CONFIG_CONTEXT_KEY)).toBe(true);
        expect(error.message).toContain(error.key);
        expect(error.message.length).toBeGreaterThan(error.key.length + 10);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

const manifest: Manifest = deepFreeze(shopFleetManifest());
const manifestText = canonicalJson(manifest);

/** Asserts a manifest failure is typed and tells the operator what to do. */
function expectManifestError(thrown: unknown): ManifestError {
  expect(thrown).toBeInstanceOf(ManifestError);
  const error = thrown as ManifestError;
  expect(error.message.length).toBeGreaterThan(20);
  expect(error.message).toMatch(/restore from another recovery point|Upgrade Lifeboat|catalog was altered/);
  return error;
}

/** Paths to every leaf (string, number, boolean) of a JSON value. */
function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => leafPaths(item, [...prefix, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  }
  return [prefix];
}

const leaves = leafPaths(manifest).filter((p) => p[0] !== 'checksum');

function setAt(root: unknown, path: readonly (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
}

function getAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const part of path) node = (node as Record<string | number, unknown>)[part];
  return node;
}

/** A leaf changed to another value of the same type (the checksum stays the original one). */
const alteredLeaf = fc
  .tuple(fc.integer({ min: 0, max: leaves.length - 1 }), fc.integer({ min: 1, max: 1000 }), fc.string())
  .map(([i, n, s]) => {
    const path = leaves[i] as (string | number)[];
    const old = getAt(manifest, path);
    const value =
      typeof old === 'string'
        ? `${old}${s.length > 0 ? s : 'x'}`
        : typeof old === 'number'
          ? old + n
          : typeof old === 'boolean'
            ? !old
            : 'x';
    return { path, value };
  });

describe('openManifest under fuzzed catalog objects', () => {
  it('rejects every truncation of a valid manifest with ManifestError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: manifestText.length - 1 }), (cut) => {
        const thrown = attempt('openManifest (truncated)', () => openManifest(manifestText.slice(0, cut)));
        expect(thrown).not.toBeInstanceOf(ChecksumMismatchError);
        expect(expectManifestError(thrown).message).toContain('truncated');
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('rejects any schema version but 1 with ManifestError naming the version and the upgrade', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 8 }), anyValue), (version) => {
        fc.pre(version !== 1);
        const text = JSON.stringify({ ...manifest, schemaVersion: version });
        const thrown = attempt('openManifest (schema version)', () => openManifest(text, manifest.id));
        const error = expectManifestError(thrown);
        expect(error.message).toMatch(/schema version|schemaVersion/);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('rejects altered content under the stale checksum: ChecksumMismatchError, or ManifestError naming the field', () => {
    let mismatches = 0;
    fc.assert(
      fc.property(alteredLeaf, ({ path, value }) => {
        const altered = structuredClone(manifest) as unknown;
        setAt(altered, path, value);
        const text = JSON.stringify(altered);
        const thrown = attempt('openManifest (altered)', () => openManifest(text, manifest.id));
        const error = expectManifestError(thrown);
        if (error instanceof ChecksumMismatchError) mismatches += 1;
        else expect(error.message).toMatch(/schema \(|schema version|catalog was altered/);
      }),
      { seed: SEED, numRuns: 1000 },
    );
    // Most same-type edits keep the schema valid: the checksum is what catches them.
    expect(mismatches).toBeGreaterThan(300);
  });

  it('rejects arbitrary text and JSON that is not a manifest with ManifestError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const thrown = attempt('openManifest (garbage)', () => openManifest(text));
          expectManifestError(thrown);
        },
      ),
      { seed: SEED, numRuns: 1500 },
    );
  });
});

function planContext(): PlanContext {
  return deepFreeze({
    drRegion: DR,
    account: ACCOUNT,
    deploymentId: DEPLOYMENT_ID,
    mappings: emptyMappings(),
    inventory: shopFleetInventory(),
  });
}

describe('planRestore under fuzzed service selections', () => {
  it('plans, or throws NoServicesSelectedError / RecoveryPointUnusableError, without touching its inputs', () => {
    const ctx = planContext();
    const manifestBefore = canonicalJson(manifest);
    const ctxBefore = canonicalJson(ctx);
    const pattern = fc.stringMatching(/^(shop|payments|nowhere|\*|s\*|p\?y\*)\/(web|api|\*|w\?\?|l\*|zzz)$/);
    fc.assert(
      fc.property(
        fc.array(pattern, { minLength: 1, maxLength: 3 }),
        fc.array(pattern, { maxLength: 2 }),
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        (services, exclude, desiredCountPercent, allowPartial) => {
          const input = deepFreeze(
            parseRestoreInput({ dryRun: false, services, exclude, desiredCountPercent, allowPartial }),
          );
          let planned: ReturnType<typeof planRestore> | undefined;
          const thrown = attempt('planRestore', () => {
            planned = planRestore(manifest, input, ctx);
          });
          if (thrown === undefined) {
            expect(planned?.services.length).toBeGreaterThan(0);
            return;
          }
          expect([NoServicesSelectedError, RecoveryPointUnusableError].some((c) => thrown instanceof c)).toBe(
            true,
          );
          expect((thrown as Error).message).toMatch(/"services"|allowPartial|holds no services/);
        },
      ),
      { seed: SEED, numRuns: 400 },
    );
    expect(canonicalJson(manifest)).toBe(manifestBefore);
    expect(canonicalJson(ctx)).toBe(ctxBefore);
  });
});

/** A full rendering of any value (null prototypes, sparse arrays, boxed values included), for before/after comparison. */
function safeCanonical(value: unknown): string {
  return inspect(value, { depth: null, sorted: true, maxArrayLength: null, maxStringLength: null });
}

afterAll(() => {
  // The figures the reliability issue asks for: cases tried per target.
  console.info(`fuzz cases tried: ${JSON.stringify(casesTried)}`);
});
