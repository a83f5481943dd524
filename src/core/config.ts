import { z } from 'zod';
import { ConfigError } from './errors';

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/;

/** A glob over "cluster/service" names: `*` matches any run of characters except "/". */
const pattern = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_*?-]+\/[A-Za-z0-9_*?-]+$/, 'must look like "cluster/service" (globs * and ? allowed)');

const idMapping = z.record(z.string().min(1), z.string().min(1));

export const configSchema = z
  .object({
    /** AWS account id that owns the ECS fleet and the DR region resources. */
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    /** Region that runs the protected services. */
    primaryRegion: z.string().regex(REGION, 'must be an AWS region name such as us-east-1'),
    /** Region that holds the recovery points and where failover relaunches the services. */
    drRegion: z.string().regex(REGION, 'must be an AWS region name such as us-west-2'),
    /** EventBridge Scheduler expression for backups. */
    schedule: z
      .string()
      .regex(
        SCHEDULE,
        'must be an EventBridge schedule expression such as "rate(1 hour)" or "cron(0 * * * ? *)"',
      )
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
    retention: z
      .object({
        /** Recovery points older than this are deleted (the newest `minRecoveryPoints` are always kept). */
        days: z.number().int().min(1).max(3650).default(35),
        /** Recovery points always kept regardless of age. */
        minRecoveryPoints: z.number().int().min(1).max(1000).default(3),
      })
      .strict()
      .default({ days: 35, minRecoveryPoints: 3 }),
    /** RPO target used by `lifeboat status`. */
    rpoTargetMinutes: z.number().int().min(1).default(120),
    /** Explicit primary → DR id mappings used when the restore retargets services. */
    mappings: z
      .object({
        subnets: idMapping.default({}),
        securityGroups: idMapping.default({}),
        targetGroups: idMapping.default({}),
        /** Secrets Manager / SSM ARNs whose DR replica has a different ARN than the region rewrite gives. */
        secrets: idMapping.default({}),
        efsFileSystems: idMapping.default({}),
      })
      .strict()
      .default({ subnets: {}, securityGroups: {}, targetGroups: {}, secrets: {}, efsFileSystems: {} }),
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
export type LifeboatConfigInput = z.input<typeof configSchema>;

/** Context key under which cdk.json holds the configuration. */
export const CONFIG_CONTEXT_KEY = 'lifeboat';

/**
 * Validates raw configuration. Throws a ConfigError naming the first bad key (as
 * `lifeboat.<path>`) and what a valid value looks like.
 */
export function parseConfig(raw: unknown): LifeboatConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const messages = result.error.issues.map((issue) => {
    const key = [CONFIG_CONTEXT_KEY, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      return `${key}: unknown setting(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove them or check the spelling`;
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      return `${key}: is required`;
    }
    return `${key}: ${issue.message}`;
  });
  const first = result.error.issues[0];
  const firstKey = [CONFIG_CONTEXT_KEY, ...(first?.path.map(String) ?? [])].join('.');
  throw new ConfigError(`Invalid Lifeboat configuration:\n  ${messages.join('\n  ')}`, firstKey);
}
