import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../config/errors';
import {
  CONFIG_COMMENT_PREFIX,
  CONFIG_CONTEXT_KEY,
  type LifeboatConfig,
  parseConfig,
} from '../../config/schema';
import { ExitCode, UsageError } from '../errors';
import type { Session } from '../session';
import { readLine } from '../stdin';

export interface InitOptions {
  readonly account?: string;
  readonly schedule?: string;
  readonly rpoTargetMinutes?: number;
  readonly retentionDays?: number;
  readonly minRecoveryPoints?: number;
  /** `key=value` tags a service (or its cluster) must carry to be backed up. */
  readonly tag?: readonly string[];
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  /** Replace an existing configuration (its values are the defaults of what is not given). */
  readonly force?: boolean;
}

/** The settings `init` writes, in order, each with the comment written before it. */
const COMMENTS: Readonly<Record<string, string>> = {
  account:
    'AWS account that runs the ECS fleet; both stacks deploy to it (`cdk bootstrap` it in both regions).',
  primaryRegion: 'Region whose ECS services are backed up.',
  drRegion: 'Region that keeps the recovery points and where a failover relaunches the services.',
  schedule: 'EventBridge Scheduler expression of the backups, e.g. "rate(1 hour)" or "cron(0 * * * ? *)".',
  selection:
    'Services backed up: tags each service (or its cluster) must carry, then "cluster/service" globs to include and exclude.',
  retention:
    'Recovery points younger than `days` are kept, and always the newest `minRecoveryPoints` complete ones.',
  rpoTargetMinutes: '`lifeboat status` exits 5 when the newest complete recovery point is older than this.',
};

const ACCOUNT = /^\d{12}$/;

function parseTags(tags: readonly string[]): Record<string, string> {
  const parsed: Record<string, string> = {};
  for (const tag of tags) {
    const at = tag.indexOf('=');
    if (at <= 0)
      throw new UsageError(`--tag "${tag}" must look like key=value, such as lifeboat:backup=true.`);
    parsed[tag.slice(0, at)] = tag.slice(at + 1);
  }
  return parsed;
}

/** The cdk.json `init` writes to: `--config <file>`, else cdk.json in the working directory. */
function targetFile(session: Session): string {
  const cwd = session.io.cwd ?? process.cwd();
  const file =
    session.options.config !== undefined ? resolve(cwd, session.options.config) : join(cwd, 'cdk.json');
  if (!existsSync(file)) {
    throw new UsageError(
      `${file} does not exist. Run \`lifeboat init\` in the Lifeboat app directory (the one with cdk.json), or pass --config <cdk.json>.`,
    );
  }
  return file;
}

function readDocument(file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new UsageError(`${file} is not valid JSON (${(cause as Error).message}); fix it first.`, { cause });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UsageError(`${file} must hold a JSON object (a cdk.json).`);
  }
  return doc as Record<string, unknown>;
}

/** The configuration as written: each setting preceded by its `"// setting"` comment. */
export function commentedConfig(config: LifeboatConfig): Record<string, unknown> {
  const values: Record<string, unknown> = {
    account: config.account,
    primaryRegion: config.primaryRegion,
    drRegion: config.drRegion,
    schedule: config.schedule,
    selection: config.selection,
    retention: { days: config.retention.days, minRecoveryPoints: config.retention.minRecoveryPoints },
    rpoTargetMinutes: config.rpoTargetMinutes,
  };
  const written: Record<string, unknown> = {
    [`${CONFIG_COMMENT_PREFIX}`]:
      'Written by `lifeboat init`; every setting is described in the README (Configuration).',
  };
  for (const [key, value] of Object.entries(values)) {
    const comment = COMMENTS[key];
    if (comment) written[`${CONFIG_COMMENT_PREFIX} ${key}`] = comment;
    written[key] = value;
  }
  return written;
}

/** Asks for one value on the terminal until `valid` accepts it; Enter keeps `fallback`. */
async function ask(
  session: Session,
  question: string,
  fallback: string | undefined,
  valid: (answer: string) => string | undefined,
): Promise<string> {
  for (;;) {
    session.io.stderr.write(`${question}${fallback !== undefined ? ` [${fallback}]` : ''}: `);
    const answer = (await readLine(session.io)).trim() || fallback || '';
    const problem = valid(answer);
    if (problem === undefined) return answer;
    session.io.stderr.write(`  ${problem}\n`);
  }
}

/** The problem parseConfig finds with `candidate[key] = value`, for a prompt to ask again. */
function problemWith(candidate: Record<string, unknown>, key: string, value: unknown): string | undefined {
  try {
    parseConfig({ account: '000000000000', ...candidate, [key]: value });
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error.message.replace(/^Invalid Lifeboat configuration:\s*/, '');
    throw error;
  }
}

/**
 * `lifeboat init`: writes the Lifeboat configuration into cdk.json's `context.lifeboat`, from
 * flags, else (on a terminal) from prompts, else the defaults; validated before anything is
 * written; other keys of cdk.json are kept. Refuses to replace a configuration without --force.
 */
export async function runInitCommand(session: Session, opts: InitOptions): Promise<number> {
  const file = targetFile(session);
  const doc = readDocument(file);
  const context = (doc.context ?? {}) as Record<string, unknown>;
  const existing = context[CONFIG_CONTEXT_KEY];
  if (existing !== undefined && opts.force !== true) {
    throw new UsageError(
      `${file} already has a "context.${CONFIG_CONTEXT_KEY}" configuration; pass --force to replace it (its values are kept where no flag is given).`,
    );
  }
  const base =
    existing !== undefined && typeof existing === 'object' ? (existing as Record<string, unknown>) : {};
  const candidate: Record<string, unknown> = { ...base };
  const { primaryRegion, drRegion } = session.options;
  if (opts.account !== undefined) candidate.account = opts.account;
  if (primaryRegion !== undefined) candidate.primaryRegion = primaryRegion;
  if (drRegion !== undefined) candidate.drRegion = drRegion;
  if (opts.schedule !== undefined) candidate.schedule = opts.schedule;
  if (opts.rpoTargetMinutes !== undefined) candidate.rpoTargetMinutes = opts.rpoTargetMinutes;
  if (opts.retentionDays !== undefined || opts.minRecoveryPoints !== undefined) {
    candidate.retention = {
      ...((base.retention as object | undefined) ?? {}),
      ...(opts.retentionDays !== undefined ? { days: opts.retentionDays } : {}),
      ...(opts.minRecoveryPoints !== undefined ? { minRecoveryPoints: opts.minRecoveryPoints } : {}),
    };
  }
  if (opts.tag !== undefined || opts.include !== undefined || opts.exclude !== undefined) {
    candidate.selection = {
      ...((base.selection as object | undefined) ?? {}),
      ...(opts.tag !== undefined ? { tags: parseTags(opts.tag) } : {}),
      ...(opts.include !== undefined ? { include: [...opts.include] } : {}),
      ...(opts.exclude !== undefined ? { exclude: [...opts.exclude] } : {}),
    };
  }
  const interactive = session.io.stdin?.isTTY === true && !session.out.machine;
  if (interactive) {
    const prompts: [key: string, question: string, fallback: string | undefined][] = [
      ['account', 'AWS account id of the fleet', base.account as string | undefined],
      [
        'primaryRegion',
        'Primary region',
        (base.primaryRegion as string | undefined) ??
          (session.io.env.AWS_REGION || session.io.env.AWS_DEFAULT_REGION || 'us-east-1'),
      ],
      ['drRegion', 'DR region', (base.drRegion as string | undefined) ?? 'us-west-2'],
      ['schedule', 'Backup schedule', (base.schedule as string | undefined) ?? 'rate(1 hour)'],
    ];
    for (const [key, question, fallback] of prompts) {
      const given = candidate[key];
      if (given !== undefined && given !== base[key]) continue;
      candidate[key] = await ask(session, question, fallback, (answer) =>
        key === 'account' && !ACCOUNT.test(answer)
          ? 'must be a 12-digit AWS account id'
          : problemWith(candidate, key, answer),
      );
    }
  }
  if (candidate.account === undefined) {
    throw new UsageError(
      'lifeboat init needs the AWS account id of the fleet: pass --account <12 digits> (or run it on a terminal to be asked). Nothing was written.',
    );
  }
  if (candidate.primaryRegion === undefined || candidate.drRegion === undefined) {
    throw new UsageError(
      'lifeboat init needs both regions: pass --primary-region <region> and --dr-region <region>. Nothing was written.',
    );
  }
  let config: LifeboatConfig;
  try {
    config = parseConfig(candidate);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ConfigError(`${error.message}\nNothing was written to ${file}.`, error.key);
    }
    throw error;
  }
  const written = commentedConfig(config);
  const next = { ...doc, context: { ...context, [CONFIG_CONTEXT_KEY]: written } };
  const temporary = `${file}.lifeboat-init.tmp`;
  writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`);
  renameSync(temporary, file);
  session.out.result({ file, replaced: existing !== undefined, config: written }, () =>
    [
      `Wrote the Lifeboat configuration to ${file} (context.${CONFIG_CONTEXT_KEY}):`,
      `  account ${config.account}, ${config.primaryRegion} → ${config.drRegion}, backups ${config.schedule}, RPO target ${config.rpoTargetMinutes} min.`,
      'Next:',
      `  npx cdk bootstrap aws://${config.account}/${config.primaryRegion} aws://${config.account}/${config.drRegion}`,
      '  npx cdk deploy --all',
      '',
    ].join('\n'),
  );
  return ExitCode.Ok;
}
