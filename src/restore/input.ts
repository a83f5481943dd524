import * as z from 'zod';
import { recoveryPointIdSchema } from '../catalog/manifest';
import { matchesAny } from '../config/selection';
import { InvalidRestoreInputError } from './errors';

/** "cluster/service" with globs: `*` and `?` match within one name, never across "/". */
const patternSchema = z.string().regex(/^[A-Za-z0-9_*?-]+\/[A-Za-z0-9_*?-]+$/);

/** "cluster/service", exactly (no globs): adopting a service is a decision about that one service. */
const serviceKeySchema = z.string().regex(/^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/);

/**
 * Input of the restore workflow (Step Functions execution input, or the CLI). Every field is
 * optional: `{}` plans a restore of every service in the latest recovery point and returns
 * the plan without touching anything. Failing over needs an explicit `"dryRun": false`.
 */
export const restoreInputSchema = z.strictObject({
  /** `latest` or a recovery point id. */
  recoveryPoint: z.union([z.literal('latest'), recoveryPointIdSchema]).default('latest'),
  /** "cluster/service" patterns of the services to restore. */
  services: z.array(patternSchema).min(1).default(['*/*']),
  /**
   * "cluster/service" patterns to leave out; exclusion wins. Operators restoring "everything
   * but the batch jobs" would otherwise have to list every other service.
   */
  exclude: z.array(patternSchema).default([]),
  /** true: validate, plan and return the plan; nothing in the DR region is changed. */
  dryRun: z.boolean().default(true),
  /** Share of each service's captured desired count to start, rounded up (0 stays 0). */
  desiredCountPercent: z.number().int().min(0).max(100).default(100),
  /** Restore from a recovery point whose capture was partial. */
  allowPartial: z.boolean().default(false),
  /** Wait until the restored services are stable before reporting. */
  waitForSteadyState: z.boolean().default(true),
  /** How long to wait for steady state before reporting the services that are not stable. */
  steadyStateTimeoutMinutes: z.number().int().min(1).max(120).default(15),
  /**
   * Free text carried into the plan and the restore report ("incident INC-1234", "Q3 drill").
   * The Step Functions console pre-fills Start execution with `{"Comment": …}`, so `Comment`
   * is accepted as the same field.
   */
  comment: z.string().max(1024).optional(),
  /**
   * Start the next wave even when a wave did not become steady (or some of its services failed).
   * By default a wave starts only when the one before it is steady; the report names the waves
   * that did not run and why.
   */
  continueOnWaveFailure: z.boolean().default(false),
  /**
   * "cluster/service" keys of DR services Lifeboat did not create that the restore may take over
   * (update to the recovery point's task definition and desired count, and tag as its own).
   * Without it such a service is blocked (SERVICE_NOT_OWNED) and left untouched.
   */
  adopt: z.array(serviceKeySchema).default([]),
  /**
   * Make the DR replicas of EFS file systems writable by deleting their replication (the primary
   * stops replicating to them; re-protecting means replicating again). Only for a real failover:
   * refused in a dry run and in a drill (desiredCountPercent 0). Without it the restored tasks
   * mount the read-only replicas.
   */
  promoteFileSystems: z.boolean().default(false),
});

export type RestoreInput = z.output<typeof restoreInputSchema>;
/** What an operator may pass (every field optional). */
export type RestoreInputRequest = z.input<typeof restoreInputSchema>;

export const RESTORE_INPUT_FIELDS = Object.keys(restoreInputSchema.shape) as (keyof RestoreInput)[];

const FIELD_HELP: Record<keyof RestoreInput, string> = {
  recoveryPoint:
    'must be "latest" or a recovery point id such as "rp-20260101T000000000Z-abc123" (list them with `lifeboat recovery-points list`)',
  services:
    'must be a non-empty list of "cluster/service" patterns such as ["shop/web", "payments/*"] (* and ? match within one name; omit the field to restore every service)',
  exclude: 'must be a list of "cluster/service" patterns to leave out, such as ["shop/batch-*"]',
  dryRun:
    'must be true or false (a JSON boolean, not a string): omit it or pass true to only see the plan, pass false to fail over',
  desiredCountPercent:
    "must be a whole number from 0 to 100: the share of each service's captured desired count to start (0 creates the services with no tasks)",
  allowPartial:
    'must be true or false: true restores from a partial recovery point (services whose capture failed are reported, not restored)',
  waitForSteadyState: 'must be true or false: false reports as soon as the services are created or updated',
  steadyStateTimeoutMinutes: 'must be a whole number of minutes from 1 to 120',
  comment: 'must be text of at most 1024 characters',
  continueOnWaveFailure:
    'must be true or false: true starts each wave even when the one before it did not become steady',
  adopt:
    'must be a list of exact "cluster/service" keys (no globs) of DR services Lifeboat did not create that it may take over, such as ["shop/api"]',
  promoteFileSystems:
    'must be true or false: true makes the DR replicas of EFS file systems writable by deleting their replication (real failovers only)',
};

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function displayPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) =>
      typeof part === 'number' ? `${acc}[${part}]` : acc === '' ? String(part) : `${acc}.${String(part)}`,
    '',
  );
}

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestField(unknown: string): string | undefined {
  const wanted = normaliseName(unknown);
  return RESTORE_INPUT_FIELDS.find((field) => {
    const candidate = normaliseName(field);
    return candidate === wanted || editDistance(candidate, wanted) <= 2;
  });
}

function valueAt(raw: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let current: unknown = raw;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((key) => {
        const suggestion = suggestField(key);
        const hint = suggestion ? `did you mean "${suggestion}"? ` : '';
        return `unknown field "${key}": ${hint}allowed fields are ${RESTORE_INPUT_FIELDS.join(', ')}`;
      })
      .join('; ');
  }
  const field = issue.path[0] as keyof RestoreInput;
  const value = valueAt(raw, issue.path);
  const at = displayPath(issue.path);
  if ((field === 'services' || field === 'exclude') && issue.path.length === 2 && typeof value === 'string') {
    const hint = value.includes('/')
      ? ''
      : `; to match a service named "${value}" in any cluster use "*/${value}"`;
    return `${at} is ${describeValue(value)}: each pattern must look like "cluster/service" (letters, digits, - and _, with globs * and ?)${hint}`;
  }
  if ((field === 'services' || field === 'exclude') && typeof value === 'string') {
    return `${at} ${FIELD_HELP[field]}; got the text ${describeValue(value)}: wrap it in a list, ["${value}"]`;
  }
  return `${at} ${FIELD_HELP[field] ?? issue.message} (got ${describeValue(value)})`;
}

/**
 * Validates the restore workflow's input and fills in the defaults. Throws
 * InvalidRestoreInputError naming every offending field and how to fix it; nothing has been
 * touched when it throws. `undefined` is read as `{}`.
 */
export function parseRestoreInput(raw: unknown): RestoreInput {
  const input = raw === undefined ? {} : raw;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    const kind =
      input === null
        ? 'null'
        : Array.isArray(input)
          ? 'a list'
          : `the ${typeof input} ${describeValue(input)}`;
    throw new InvalidRestoreInputError(
      `Invalid restore input: it must be a JSON object such as {"recoveryPoint": "latest", "dryRun": true}; got ${kind}.`,
      '(root)',
    );
  }
  const fields = { ...(input as Record<string, unknown>) };
  if ('Comment' in fields && !('comment' in fields)) {
    fields.comment = fields.Comment;
    delete fields.Comment;
  }
  const result = restoreInputSchema.safeParse(fields);
  if (result.success) {
    checkPromotion(result.data);
    return result.data;
  }
  const problems = result.error.issues.map((issue) => describeIssue(issue, fields));
  const first = result.error.issues[0];
  const firstField =
    first?.code === 'unrecognized_keys'
      ? first.keys[0] === ''
        ? '""'
        : (first.keys[0] ?? '(root)')
      : displayPath(first?.path ?? []) || '(root)';
  throw new InvalidRestoreInputError(
    `Invalid restore input (nothing was changed):\n  ${problems.join('\n  ')}`,
    firstField,
  );
}

/** File systems are promoted only by a real failover that starts tasks: never in a dry run or a drill. */
function checkPromotion(input: RestoreInput): void {
  if (!input.promoteFileSystems) return;
  const why = input.dryRun
    ? 'a dry run changes nothing, so it cannot promote file systems: pass "dryRun": false to fail over'
    : input.desiredCountPercent === 0
      ? 'a drill (desiredCountPercent 0) must leave replication in place: drop "promoteFileSystems" or start tasks'
      : undefined;
  if (why) {
    throw new InvalidRestoreInputError(
      `Invalid restore input (nothing was changed):\n  promoteFileSystems is true, but ${why}.`,
      'promoteFileSystems',
    );
  }
}

/** Whether the restore input selects the service `cluster/service`. */
export function isServiceSelected(key: string, input: Pick<RestoreInput, 'services' | 'exclude'>): boolean {
  return matchesAny(key, input.services) && !matchesAny(key, input.exclude);
}
