import * as z from 'zod';
import { regionProblem } from '../aws/regions';
import { ConfigError } from './errors';

/** A region of the SDK's partition table; a mistyped one fails with the nearest known region. */
function regionName(example: string) {
  return z.string().superRefine((name, ctx) => {
    const problem = regionProblem(name);
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: problem.replace('such as us-west-2', `such as ${example}`) });
    }
  });
}
const SCHEDULE_EXAMPLE = 'an EventBridge schedule expression such as "rate(1 hour)" or "cron(0 * * * ? *)"';

/** Why EventBridge Scheduler would refuse a recurring schedule expression; undefined when it would not. */
function scheduleProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate?.[1] && rate[2]) {
    const value = Number(rate[1]);
    if (value < 1) return `must be ${SCHEDULE_EXAMPLE}; a rate is at least 1`;
    const singular = !rate[2].endsWith('s');
    if (singular !== (value === 1)) {
      return `must be ${SCHEDULE_EXAMPLE}; use the singular unit for 1 and the plural otherwise (rate(1 hour), rate(2 hours))`;
    }
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron?.[1] !== undefined) {
    const fields = cron[1].trim().split(/\s+/);
    if (fields.length !== 6) {
      return `must be ${SCHEDULE_EXAMPLE}; a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), this one has ${fields.length}`;
    }
    if ((fields[2] === '?') === (fields[4] === '?')) {
      return `must be ${SCHEDULE_EXAMPLE}; exactly one of day-of-month and day-of-week must be "?"`;
    }
    return undefined;
  }
  return `must be ${SCHEDULE_EXAMPLE}`;
}

/** A glob over "cluster/service" names: `*` matches any run of characters except "/". */
const pattern = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_*?-]+\/[A-Za-z0-9_*?-]+$/, 'must look like "cluster/service" (globs * and ? allowed)');

const idMapping = z.record(z.string().min(1), z.string().min(1));
const kmsKeyArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
    'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>); CloudWatch Logs takes no alias',
  );

/**
 * Environment variable names that hold a secret: a name containing any of these (case-insensitive)
 * is sealed at capture.
 */
export const DEFAULT_SECRET_NAME_PATTERNS: readonly string[] = [
  'PASSWORD',
  'PASSWD',
  'SECRET',
  'TOKEN',
  'KEY',
  'CREDENTIAL',
  'PRIVATE',
];

/**
 * Environment variable values that are a secret whatever the name: credentials in a URL
 * (`scheme://user:password@host`), an AWS access key id (`AKIA…`, `ASIA…`), a PEM private key.
 */
export const DEFAULT_SECRET_VALUE_PATTERNS: readonly string[] = [
  '[a-z][a-z0-9+.-]*://[^\\s/:@]*:[^\\s/@]+@',
  '\\b(?:AKIA|ASIA)[A-Z0-9]{16}\\b',
  '-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----',
];

/** The flags every secret pattern is compiled with (`secretPatternOf`): case-insensitive. */
export const SECRET_PATTERN_FLAGS = 'i';

/** A regular expression source (JavaScript syntax) that compiles with `SECRET_PATTERN_FLAGS`. */
const secretPattern = z
  .string()
  .min(1, 'must not be empty (it would match every variable)')
  .superRefine((source, ctx) => {
    try {
      new RegExp(source, SECRET_PATTERN_FLAGS);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      ctx.addIssue({
        code: 'custom',
        message: `is not a valid regular expression (${reason}); write a JavaScript regular expression source such as "PASSWORD" or "^API_", with backslashes doubled in JSON`,
      });
    }
  });

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export const configSchema = z
  .object({
    /** AWS account id that owns the ECS fleet and the DR region resources. */
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    /** Region that runs the protected services. */
    primaryRegion: regionName('us-east-1'),
    /** Region that holds the recovery points and where failover relaunches the services. */
    drRegion: regionName('us-west-2'),
    /** EventBridge Scheduler expression for backups. */
    schedule: z
      .string()
      .superRefine((expression, ctx) => {
        const problem = scheduleProblem(expression);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('rate(1 hour)'),
    selection: z
      .object({
        /** Tags a service (or its cluster) must carry to be protected; empty selects by name only. */
        tags: z.record(z.string().min(1), z.string()).default({ 'lifeboat:backup': 'true' }),
        /** "cluster/service" globs to include. */
        include: z.array(pattern).default(['*/*']),
        /** "cluster/service" globs to exclude; exclusion wins over inclusion. */
        exclude: z.array(pattern).default([]),
      })
      .strict()
      .default({ tags: { 'lifeboat:backup': 'true' }, include: ['*/*'], exclude: [] }),
    /**
     * Names this deployment on everything it creates (`lifeboat:deployment` on snapshots and
     * volumes), so two deployments in one account never touch each other's.
     * @default - `<primaryRegion>-<drRegion>` (see `deploymentIdOf`)
     */
    deploymentId: z
      .string()
      .regex(
        /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/,
        'must be 1-40 lowercase letters, digits and hyphens, starting and ending with a letter or digit',
      )
      .optional(),
    /**
     * What retention keeps (grandfather-father-son). Only complete, verified recovery points count
     * toward `minRecoveryPoints`, `daily`, `weekly`, `monthly` and `yearly`; the newest complete one
     * is never deleted; a point younger than `days` is kept whatever its status.
     */
    retention: z
      .object({
        /** Every recovery point younger than this many days is kept. */
        days: z.number().int().min(1).max(3650).default(35),
        /** The newest this many complete recovery points are kept regardless of age. */
        minRecoveryPoints: z.number().int().min(1).max(1000).default(3),
        /** The newest complete point of each of the last this many days that have one (UTC). */
        daily: z.number().int().min(0).max(3650).default(0),
        /** The newest complete point of each of the last this many ISO weeks that have one. */
        weekly: z.number().int().min(0).max(520).default(0),
        /** The newest complete point of each of the last this many months that have one. */
        monthly: z.number().int().min(0).max(120).default(0),
        /** The newest complete point of each of the last this many years that have one. */
        yearly: z.number().int().min(0).max(100).default(0),
      })
      .strict()
      .default({ days: 35, minRecoveryPoints: 3, daily: 0, weekly: 0, monthly: 0, yearly: 0 }),
    /** RPO target used by `lifeboat status`. */
    rpoTargetMinutes: z.number().int().min(1).default(120),
    /** Explicit primary → DR id mappings used when the restore retargets services. */
    mappings: z
      .object({
        subnets: idMapping.default({}),
        securityGroups: idMapping.default({}),
        targetGroups: idMapping.default({}),
        /** Primary load balancer ARN or name → DR load balancer ARN or name (for the target groups the restore creates). */
        loadBalancers: idMapping.default({}),
        /** Primary Cloud Map namespace ARN, id or name → DR namespace ARN, id or name (else: the DR namespace of the same name). */
        namespaces: idMapping.default({}),
        /** Secrets Manager / SSM ARNs whose DR replica has a different ARN than the region rewrite gives. */
        secrets: idMapping.default({}),
        efsFileSystems: idMapping.default({}),
        /**
         * Primary → DR availability zone names for standalone EBS volumes (e.g. "us-east-1a" →
         * "us-west-2b"); a zone not listed maps to the DR zone with the same letter.
         */
        availabilityZones: idMapping.default({}),
        /**
         * Primary → DR KMS key ARNs for the log groups the restore creates (CloudWatch Logs takes a
         * key ARN, not an alias). A multi-Region key (`mrk-…`) not listed maps to its replica in the
         * DR region; any other key not listed: the group is created without one (a warning says so).
         */
        kmsKeys: z.record(kmsKeyArn, kmsKeyArn).default({}),
      })
      .strict()
      .default({
        subnets: {},
        securityGroups: {},
        targetGroups: {},
        loadBalancers: {},
        namespaces: {},
        secrets: {},
        efsFileSystems: {},
        availabilityZones: {},
        kmsKeys: {},
      }),
    /** What the backup does for the restore beyond reading the primary region. */
    backup: z
      .object({
        /**
         * Replicate to the DR region each Secrets Manager secret (of this account, primary region)
         * that a captured task definition references and that has no replica there yet
         * (ReplicateSecretToRegions). Off: the backup only records the replication status, and
         * the restore still checks the DR secret exists.
         */
        replicateSecrets: z.boolean().default(false),
      })
      .strict()
      .default({ replicateSecrets: false }),
    /** What the backup's capture does with what it reads. */
    capture: z
      .object({
        /**
         * Environment variables (`containerDefinitions[].environment`) that look secret, by name or
         * by value (regular expression sources, matched case-insensitively anywhere in the text).
         * Their values never enter the catalog in plain text: each is sealed with the catalog's KMS
         * key (only the restore's service role may decrypt it) and put back when the restore
         * registers the task definition; the plan warns (SECRET_IN_ENVIRONMENT) and shows `***`.
         * Sealed rather than refused, so such a service stays restorable in an outage; the lasting
         * fix is a `secrets` entry (Secrets Manager / SSM), which the restore maps by reference.
         */
        secretEnvironment: z
          .object({
            /** A variable whose NAME matches any of these is sealed. Empty: none by name. */
            namePatterns: z.array(secretPattern).default([...DEFAULT_SECRET_NAME_PATTERNS]),
            /** A variable whose VALUE matches any of these is sealed. Empty: none by value. */
            valuePatterns: z.array(secretPattern).default([...DEFAULT_SECRET_VALUE_PATTERNS]),
          })
          .strict()
          .default({
            namePatterns: [...DEFAULT_SECRET_NAME_PATTERNS],
            valuePatterns: [...DEFAULT_SECRET_VALUE_PATTERNS],
          }),
      })
      .strict()
      .default({
        secretEnvironment: {
          namePatterns: [...DEFAULT_SECRET_NAME_PATTERNS],
          valuePatterns: [...DEFAULT_SECRET_VALUE_PATTERNS],
        },
      }),
    /** Catalog bucket settings (infrastructure; used by the CDK stacks). */
    catalog: z
      .object({
        /**
         * Object Lock mode applied by default to every object version written to the catalog.
         * COMPLIANCE (default): nobody, not even the account root, can delete a version before
         * its lock ends. GOVERNANCE: principals with s3:BypassGovernanceRetention can.
         */
        objectLockMode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('COMPLIANCE'),
        /** Days each object version stays locked; when omitted, `retention.days`. */
        objectLockDays: z.number().int().min(1).max(36500).optional(),
        /**
         * The only principal (IAM role or user ARN) allowed to schedule the deletion of, or disable,
         * Lifeboat's KMS keys (catalog, signing, volumes). @default - nobody
         */
        breakGlassPrincipalArn: z
          .string()
          .regex(
            /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/,
            'must be an IAM role or user ARN such as arn:aws:iam::123456789012:role/break-glass',
          )
          .optional(),
      })
      .strict()
      .default({ objectLockMode: 'COMPLIANCE' }),
    /** How the images the services run are made present in the DR region's ECR. */
    images: z
      .object({
        /**
         * ECR registry replication to the DR region. A registry has one replication
         * configuration: `manage: true` makes the BackupStack own it (it replaces any existing
         * one); `manage: false` leaves it to you, and the backup still copies what is missing.
         */
        replication: z
          .object({
            manage: z.boolean().default(false),
            /** Repository name prefixes to replicate (ECR PREFIX_MATCH filters); empty replicates every repository. */
            repositoryPrefixes: z
              .array(
                z
                  .string()
                  .min(2)
                  .max(256)
                  .regex(
                    /^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*\/)*[a-z0-9]*(?:[._-][a-z0-9]*)*\/?$/,
                    'must be an ECR repository name prefix: lowercase letters, digits, ".", "_", "-" and "/"',
                  ),
              )
              .max(100, 'ECR accepts at most 100 repository filters in a replication rule')
              .default([]),
          })
          .strict()
          .default({ manage: false, repositoryPrefixes: [] }),
        /**
         * An image missing in the DR region that replication should have carried and that was
         * pushed at least this long ago starts an ECR replication backfill (newer ones are
         * assumed to be in flight).
         */
        backfillMinAgeMinutes: z.number().int().min(0).max(10080).default(30),
        /** How long a backup waits for a backfill it started before copying what is still missing. */
        backfillWaitSeconds: z.number().int().min(0).max(600).default(0),
        /** Copy an image that neither replication nor backfill made present (manifests, config and layers). */
        copyMissing: z.boolean().default(true),
      })
      .strict()
      .default({
        replication: { manage: false, repositoryPrefixes: [] },
        backfillMinAgeMinutes: 30,
        backfillWaitSeconds: 0,
        copyMissing: true,
      }),
    /** Restore workflow settings (infrastructure; used by the RecoveryStack). */
    restore: z
      .object({
        /**
         * IAM roles the restore may pass to ECS (task and execution roles of the services), as
         * ARNs or ARN patterns. Empty: every role of the account, still limited to ECS by
         * `iam:PassedToService`, and the restore refuses roles the recovery point does not name.
         */
        passRoleArns: z
          .array(
            z
              .string()
              .regex(
                /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@*/-]+$/,
                'must be an IAM role ARN or pattern such as "arn:aws:iam::123456789012:role/ecs-*"',
              ),
          )
          .default([]),
        /**
         * Create a captured target group the DR region lacks (no mapping, no `lifeboat:source-id`
         * tag, no group of its name) when the DR load balancer it belongs behind exists (mapped, or
         * tagged, or of the same name) with a listener of the same port and protocol: the group with
         * the captured settings, health check, attributes and tags, and the captured listener rules
         * forwarding to it. Off: such a service is blocked (TARGET_GROUP_NOT_MAPPED).
         */
        createTargetGroups: z.boolean().default(false),
      })
      .strict()
      .default({ passRoleArns: [], createTargetGroups: false }),
    /** Persistent data the services mount. */
    volumes: z
      .object({
        ebs: z
          .object({
            /**
             * How a volume's snapshot reaches the DR region. `native-copy`: EC2 CopySnapshot,
             * encrypted with the DR volume key (incremental after the first copy). `block`: the
             * EBS direct APIs, block by block with a SHA-256 per block (works across accounts,
             * verifies every byte, measurable progress).
             */
            engine: z.enum(['native-copy', 'block']).default('native-copy'),
            /**
             * Snapshot copies in flight to the DR region at once. EC2 allows 20 concurrent copies
             * per destination region (for the whole account); more wait in a queue.
             */
            maxConcurrentCopies: z.number().int().min(1).max(20).default(20),
            /** Seconds the backup workflow waits between checks of the copies in flight. */
            pollSeconds: z.number().int().min(5).max(3600).default(60),
          })
          .strict()
          .default({ engine: 'native-copy', maxConcurrentCopies: 20, pollSeconds: 60 }),
        efs: z
          .object({
            /**
             * Create the EFS replication configuration to the DR region for a mounted file system
             * that has none (EFS creates the replica and starts its initial sync). Without it,
             * such a file system is a backup error and its services cannot be restored.
             */
            createReplication: z.boolean().default(false),
          })
          .strict()
          .default({ createReplication: false }),
      })
      .strict()
      .default({
        ebs: { engine: 'native-copy', maxConcurrentCopies: 20, pollSeconds: 60 },
        efs: { createReplication: false },
      }),
    /** Retention of Lifeboat's logs (Lambda log groups, catalog access logs), in days. */
    logRetentionDays: z
      .number()
      .int()
      .refine((days) => LOG_RETENTION_DAYS.includes(days), {
        message: `must be a CloudWatch Logs retention period: one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(90),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.primaryRegion === cfg.drRegion) {
      ctx.addIssue({
        code: 'custom',
        path: ['drRegion'],
        message: `must differ from primaryRegion (both are ${cfg.drRegion}); pick the region that survives an outage of ${cfg.primaryRegion}`,
      });
    }
  });

export type LifeboatConfig = z.output<typeof configSchema>;

/** The deployment id: `deploymentId`, else `<primaryRegion>-<drRegion>` (stable while the regions are). */
export function deploymentIdOf(
  config: Pick<LifeboatConfig, 'deploymentId' | 'primaryRegion' | 'drRegion'>,
): string {
  return config.deploymentId ?? `${config.primaryRegion}-${config.drRegion}`;
}
export type LifeboatConfigInput = z.input<typeof configSchema>;

/** Context key under which cdk.json holds the configuration. */
export const CONFIG_CONTEXT_KEY = 'lifeboat';

/**
 * Validates raw configuration. Throws a ConfigError naming the first bad key (as
 * `lifeboat.<path>`) and what a valid value looks like.
 */
export function parseConfig(raw: unknown): LifeboatConfig {
  // reportInput: an invalid_type issue then tells a missing value from a value of the wrong type.
  const result = configSchema.safeParse(withoutComments(raw), { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => {
    const path = [CONFIG_CONTEXT_KEY, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({
        key: [...path, k].join('.'),
        message: 'unknown setting; remove it or check the spelling',
      }));
    }
    const key = path.join('.');
    if (issue.code === 'invalid_type') {
      const message =
        issue.input === undefined
          ? 'is required'
          : `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected} (got ${describeValue(issue.input)})`;
      return [{ key, message }];
    }
    return [{ key, message: issue.message }];
  });
  const lines = problems.map((p) => `${p.key}: ${p.message}`);
  throw new ConfigError(
    `Invalid Lifeboat configuration:\n  ${lines.join('\n  ')}`,
    problems[0]?.key ?? CONFIG_CONTEXT_KEY,
  );
}

/** Keys that start with this are comments in the configuration (JSON has none): `lifeboat init` writes them. */
export const CONFIG_COMMENT_PREFIX = '//';

/** `raw` without its comment keys (`"// schedule": "…"`), at every level of nesting. */
function withoutComments(raw: unknown): unknown {
  if (Array.isArray(raw)) return raw.map(withoutComments);
  if (raw === null || typeof raw !== 'object') return raw;
  return Object.fromEntries(
    Object.entries(raw)
      .filter(([key]) => !key.startsWith(CONFIG_COMMENT_PREFIX))
      .map(([key, value]) => [key, withoutComments(value)]),
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
