import {
  formatArn,
  mentionsRegion,
  parseArn,
  partitionOf,
  secretNameOf,
  splitSecretArn,
} from '../../kernel/arns';
import type { Finding } from '../../kernel/findings';

/**
 * Shared machinery of task definition and service retargeting: rewriting the references a
 * resource makes to other resources (secrets, parameters, S3 objects, log groups, KMS keys,
 * IAM roles) from the primary region to the DR region, and recording every change and
 * finding on the way. Pure: works on a private copy of the input.
 */

/** What the reference rewrite needs to know about the two regions. */
export interface ReferenceContext {
  /** Account that owns the fleet; its DR resources live in the same account. */
  readonly account: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  /**
   * `config.mappings.secrets`: primary → DR ARN for Secrets Manager secrets, SSM parameters
   * and S3 objects or buckets (environment files), where the default region rewrite is wrong.
   */
  readonly secretMappings: Readonly<Record<string, string>>;
  /** Secrets Manager secret ARNs that exist in the DR region; undefined = not known. */
  readonly drSecretArns?: readonly string[] | undefined;
  /** SSM parameter ARNs that exist in the DR region; undefined = not known. */
  readonly drParameterArns?: readonly string[] | undefined;
}

/** One rewritten member: `to` is null when the member was removed. */
export interface RetargetChange {
  readonly path: string;
  readonly from: string;
  readonly to: string | null;
}

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `mapping[key]` for own members only, so data such as "constructor" never finds Object.prototype. */
export function lookup(mapping: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(mapping, key) ? mapping[key] : undefined;
}

export function recordsAt(holder: Json, key: string): Json[] {
  const value = holder[key];
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** Calls `fn` for each object element of the array `holder[key]`, with its index in that array. */
export function eachRecord(holder: Json, key: string, fn: (item: Json, index: number) => void): void {
  const value = holder[key];
  if (!Array.isArray(value)) return;
  value.forEach((item, index) => {
    if (isRecord(item)) fn(item, index);
  });
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

type FindingInput = Omit<Finding, 'service'>;

const FARGATE_PROVIDERS: ReadonlySet<string> = new Set(['FARGATE', 'FARGATE_SPOT']);

/** Capacity providers that exist in every cluster that asks for them. */
export function isFargateProvider(name: string): boolean {
  return FARGATE_PROVIDERS.has(name);
}

/**
 * Accumulates the outcome of one retarget: changes, findings (without `service`; the
 * planner adds it), log groups to create in the DR region and IAM roles to pass.
 */
export class RetargetSession {
  readonly changes: RetargetChange[] = [];
  readonly findings: FindingInput[] = [];
  readonly logGroups = new Set<string>();
  readonly roles = new Set<string>();
  /** Paths already rewritten or reported; the final scan does not report them again. */
  private readonly handled = new Set<string>();
  private readonly mappedValues: ReadonlySet<string>;

  constructor(readonly ctx: ReferenceContext) {
    this.mappedValues = new Set(Object.values(ctx.secretMappings));
  }

  /** Sets `holder[key]` (an object member or an array element) and records the change. */
  set(holder: Json | unknown[], key: string | number, path: string, to: unknown): void {
    const target = holder as Record<string | number, unknown>;
    const from = target[key];
    this.handled.add(path);
    if (from === to) return;
    target[key] = to;
    this.changes.push({ path, from: text(from), to: text(to) });
  }

  remove(holder: Json, key: string, path: string): void {
    if (!(key in holder)) return;
    this.handled.add(path);
    this.changes.push({ path, from: text(holder[key]), to: null });
    delete holder[key];
  }

  report(path: string, finding: FindingInput): void {
    this.handled.add(path);
    this.findings.push(finding);
  }

  /** Leaves the value at `path` as it is, for a later step to fill in: no default rule moves it. */
  keep(path: string): void {
    this.handled.add(path);
  }

  /** An ARN of the fleet's account in the primary region, moved to the DR region. */
  toDrRegion(value: string): string | undefined {
    const arn = parseArn(value);
    if (!arn || arn.region !== this.ctx.primaryRegion || arn.account !== this.ctx.account) return undefined;
    return formatArn({ ...arn, region: this.ctx.drRegion });
  }

  /** Role ARN (or bare role name) the restore passes to ECS: iam:PassRole must allow it. */
  collectRole(value: unknown): void {
    if (typeof value !== 'string' || value === '') return;
    this.roles.add(
      value.startsWith('arn:')
        ? value
        : `arn:${partitionOf(this.ctx.drRegion)}:iam::${this.ctx.account}:role/${value}`,
    );
  }

  /**
   * A secret reference (`secrets[].valueFrom`, `secretOptions[].valueFrom`,
   * `repositoryCredentials.credentialsParameter`): Secrets Manager or SSM ARN, or an SSM
   * parameter name (`parameterNames: true`) / secret name, which resolves in the task's
   * own region and is left as it is.
   */
  rewriteSecretReference(holder: Json, key: string, path: string, bareNames: 'parameter' | 'secret'): void {
    const value = holder[key];
    if (typeof value !== 'string' || value === '') return;
    const arn = parseArn(value);
    if (!arn) {
      this.checkBareName(value, path, bareNames);
      return;
    }
    const isSecret = arn.service === 'secretsmanager';
    const { secretArn, selector } = isSecret ? splitSecretArn(arn) : { secretArn: value, selector: '' };
    const exact = lookup(this.ctx.secretMappings, value);
    const explicit = lookup(this.ctx.secretMappings, secretArn);
    if (exact !== undefined || explicit !== undefined) {
      this.setReference(holder, key, path, exact ?? `${explicit}${selector}`, { byName: false });
      return;
    }
    const moved = this.toDrRegion(secretArn);
    if (moved !== undefined) {
      this.setReference(holder, key, path, `${moved}${selector}`, { byName: isSecret });
      return;
    }
    if (arn.region === this.ctx.primaryRegion) {
      this.report(path, {
        severity: 'warning',
        code: 'CROSS_ACCOUNT_PRIMARY_REFERENCE',
        resource: value,
        message: `${value} belongs to account ${arn.account} in the primary region ${arn.region}; Lifeboat only moves references of account ${this.ctx.account}, so it is left as it is and will not resolve while ${arn.region} is down.`,
        fix: `Replicate it to ${this.ctx.drRegion} and add mappings.secrets["${secretArn}"] = "<DR ARN>" to the Lifeboat config.`,
      });
      return;
    }
    this.setReference(holder, key, path, value, { byName: false });
  }

  /** Sets a secret/parameter reference after checking it against the DR inventory. */
  private setReference(
    holder: Json,
    key: string,
    path: string,
    reference: string,
    opts: { byName: boolean },
  ): void {
    const checked = this.checkReplica(reference, opts);
    if (checked.finding) this.report(path, checked.finding);
    if (checked.reference !== holder[key]) this.set(holder, key, path, checked.reference);
  }

  private checkBareName(name: string, path: string, kind: 'parameter' | 'secret'): void {
    const known = kind === 'parameter' ? this.ctx.drParameterArns : this.ctx.drSecretArns;
    const label = kind === 'parameter' ? 'SSM parameter' : 'secret';
    if (known === undefined) {
      this.report(path, {
        severity: 'info',
        code: kind === 'parameter' ? 'PARAMETER_UNVERIFIED' : 'SECRET_REPLICA_UNVERIFIED',
        resource: name,
        message: `${label} "${name}" is named without an ARN, so it resolves in ${this.ctx.drRegion}; whether it exists there was not checked.`,
        fix: `Make sure ${label} "${name}" exists in ${this.ctx.drRegion} before failing over.`,
      });
      return;
    }
    const exists =
      kind === 'parameter'
        ? known.some(
            (arn) => parseArn(arn)?.resource.replace(/^parameter\/?/, '') === name.replace(/^\//, ''),
          )
        : known.some((arn) => secretNameOf(arn) === name || parseArn(arn)?.resource.split(':')[1] === name);
    if (exists) return;
    this.report(path, {
      severity: 'error',
      code: kind === 'parameter' ? 'PARAMETER_MISSING' : 'SECRET_REPLICA_MISSING',
      resource: name,
      message: `${label} "${name}" does not exist in ${this.ctx.drRegion}; tasks that read it cannot start.`,
      fix:
        kind === 'parameter'
          ? `Create SSM parameter "${name}" in ${this.ctx.drRegion} (SSM does not replicate parameters).`
          : `Replicate secret "${name}" to ${this.ctx.drRegion} (Secrets Manager > Replicate secret).`,
    });
  }

  /**
   * Readiness of a DR-region secret/parameter reference against the DR inventory. A secret
   * moved by the region rule that has no replica with the same ARN may be resolved to the
   * one DR secret of the same name (a secret re-created by hand gets a new ARN suffix).
   */
  private checkReplica(
    reference: string,
    opts: { byName: boolean },
  ): { reference: string; finding?: FindingInput } {
    const arn = parseArn(reference);
    const isSecret = arn?.service === 'secretsmanager';
    if (!arn || arn.region !== this.ctx.drRegion || arn.account !== this.ctx.account) return { reference };
    if (!isSecret && arn.service !== 'ssm') return { reference };
    const { secretArn, selector } = isSecret ? splitSecretArn(arn) : { secretArn: reference, selector: '' };
    const known = isSecret ? this.ctx.drSecretArns : this.ctx.drParameterArns;
    const label = isSecret ? 'Secrets Manager secret' : 'SSM parameter';
    if (known === undefined) {
      return {
        reference,
        finding: {
          severity: 'info',
          code: isSecret ? 'SECRET_REPLICA_UNVERIFIED' : 'PARAMETER_UNVERIFIED',
          resource: secretArn,
          message: `${label} ${secretArn} was not checked in ${this.ctx.drRegion} (the DR inventory has no ${isSecret ? 'secret' : 'parameter'} list).`,
          fix: `Make sure ${secretArn} exists in ${this.ctx.drRegion} before failing over.`,
        },
      };
    }
    if (known.includes(secretArn)) return { reference };
    const name = isSecret ? secretNameOf(secretArn) : undefined;
    const sameName = opts.byName && name !== undefined ? known.filter((k) => secretNameOf(k) === name) : [];
    const [only] = sameName;
    if (sameName.length === 1 && only !== undefined) {
      return {
        reference: `${only}${selector}`,
        finding: {
          severity: 'info',
          code: 'SECRET_RESOLVED_BY_NAME',
          resource: secretArn,
          message: `${secretArn} does not exist in ${this.ctx.drRegion}; the one DR secret with the same name, ${only}, is used (a secret re-created by hand gets a new ARN suffix).`,
          fix: 'If that is the wrong secret, add mappings.secrets["<primary ARN>"] = "<DR ARN>" to the Lifeboat config.',
        },
      };
    }
    return {
      reference,
      finding: {
        severity: 'error',
        code: isSecret ? 'SECRET_REPLICA_MISSING' : 'PARAMETER_MISSING',
        resource: secretArn,
        message: `${label} ${secretArn} does not exist in ${this.ctx.drRegion}; tasks that read it cannot start.`,
        fix: isSecret
          ? `Replicate the secret to ${this.ctx.drRegion} (Secrets Manager > Replicate secret), or add mappings.secrets["<primary ARN>"] = "<DR ARN>" to the Lifeboat config.`
          : `Create the parameter in ${this.ctx.drRegion} (SSM does not replicate parameters), or add mappings.secrets["<primary ARN>"] = "<DR ARN>" to the Lifeboat config.`,
      },
    };
  }

  /**
   * An S3 object ARN (environment file, FireLens config file): an explicit mapping of the
   * object or of its bucket (`arn:aws:s3:::bucket` → `arn:aws:s3:::dr-bucket`), else a
   * warning: S3 ARNs carry no region, so Lifeboat cannot tell whether the bucket survives.
   */
  rewriteS3Reference(holder: Json, key: string, path: string, what: string): void {
    const value = holder[key];
    if (typeof value !== 'string' || value === '' || this.mappedValues.has(value)) return;
    const exact = lookup(this.ctx.secretMappings, value);
    if (exact !== undefined) {
      this.set(holder, key, path, exact);
      return;
    }
    const arn = parseArn(value);
    const slash = arn?.service === 's3' ? arn.resource.indexOf('/') : -1;
    if (arn && slash > 0) {
      const bucketArn = formatArn({ ...arn, resource: arn.resource.slice(0, slash) });
      const bucket = lookup(this.ctx.secretMappings, bucketArn);
      if (bucket !== undefined) {
        this.set(holder, key, path, `${bucket}${arn.resource.slice(slash)}`);
        return;
      }
      if (this.mappedValues.has(bucketArn)) return;
    }
    this.report(path, {
      severity: 'warning',
      code: 'S3_OBJECT_NOT_MAPPED',
      resource: value,
      message: `${what} ${value} is read from S3 at task start; S3 ARNs carry no region, so Lifeboat cannot tell whether its bucket is reachable while ${this.ctx.primaryRegion} is down.`,
      fix: `Replicate the bucket to ${this.ctx.drRegion} (S3 Replication) and add mappings.secrets["${arn && slash > 0 ? formatArn({ ...arn, resource: arn.resource.slice(0, slash) }) : value}"] = "arn:aws:s3:::<DR bucket>" to the Lifeboat config, or ignore this if the bucket is outside ${this.ctx.primaryRegion}.`,
    });
  }

  /**
   * A `logConfiguration` (container, Service Connect): `awslogs-region` (and FireLens
   * `region`) of the primary region become the DR region; CloudWatch log groups written in
   * the DR region are collected; `secretOptions[].valueFrom` are secret references.
   */
  rewriteLogConfiguration(logConfiguration: unknown, path: string): void {
    if (!isRecord(logConfiguration)) return;
    const options = logConfiguration.options;
    if (isRecord(options)) {
      const driver = logConfiguration.logDriver;
      const regionKey =
        driver === 'awslogs' ? 'awslogs-region' : driver === 'awsfirelens' ? 'region' : undefined;
      if (regionKey !== undefined && options[regionKey] === this.ctx.primaryRegion) {
        this.set(options, regionKey, `${path}.options.${regionKey}`, this.ctx.drRegion);
      }
      const region = regionKey !== undefined ? options[regionKey] : undefined;
      const group =
        driver === 'awslogs'
          ? options['awslogs-group']
          : driver === 'awsfirelens' && (options.Name === 'cloudwatch' || options.Name === 'cloudwatch_logs')
            ? options.log_group_name
            : undefined;
      if (
        region === this.ctx.drRegion &&
        typeof group === 'string' &&
        group !== '' &&
        !group.includes('$(')
      ) {
        this.logGroups.add(group);
      }
    }
    eachRecord(logConfiguration, 'secretOptions', (option, i) => {
      this.rewriteSecretReference(option, 'valueFrom', `${path}.secretOptions[${i}].valueFrom`, 'parameter');
    });
  }

  /**
   * A KMS key of the primary region: a multi-region key (`mrk-…`) has a replica with the
   * same id in the DR region; any other key does not exist there, so the member is removed
   * (the DR copy of the data is already encrypted with a DR key) and a warning says so.
   */
  rewriteKmsKey(holder: Json, key: string, path: string, what: string): void {
    const value = holder[key];
    if (typeof value !== 'string') return;
    const arn = parseArn(value);
    if (arn?.service !== 'kms' || arn.region !== this.ctx.primaryRegion) return;
    const moved = this.toDrRegion(value);
    if (moved !== undefined && /^key\/mrk-/.test(arn.resource)) {
      this.set(holder, key, path, moved);
      return;
    }
    this.remove(holder, key, path);
    this.report(path, {
      severity: 'warning',
      code: 'KMS_KEY_NOT_IN_DR',
      resource: value,
      message: `${what} uses KMS key ${value}, which is not a multi-region key and does not exist in ${this.ctx.drRegion}; the restore leaves the key out, so the account's default key for the service is used.`,
      fix: `Use a multi-region KMS key (mrk-…) replicated to ${this.ctx.drRegion}, or set the key on the restored resource after failover.`,
    });
  }

  /**
   * The default ARN rule for every member no specific rewrite handled: a value that is an
   * ARN of the fleet's account in the primary region moves to the DR region (a warning
   * says to check the DR resource exists); any other value still naming the primary region
   * (endpoint URLs, availability zones, ARNs inside longer text or of other accounts) is
   * reported, not rewritten.
   */
  moveRemainingReferences(holder: Json | unknown[], path: string): void {
    const entries: [string | number, unknown][] = Array.isArray(holder)
      ? [...holder.entries()]
      : Object.entries(holder);
    for (const [key, value] of entries) {
      const at = typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
      if (Array.isArray(value) || isRecord(value)) {
        this.moveRemainingReferences(value, at);
        continue;
      }
      if (typeof value !== 'string' || this.handled.has(at)) continue;
      const mapped = lookup(this.ctx.secretMappings, value);
      const moved = this.toDrRegion(value);
      if (mapped !== undefined) {
        this.set(holder, key, at, mapped);
      } else if (moved !== undefined) {
        this.set(holder, key, at, moved);
        this.report(at, {
          severity: 'warning',
          code: 'ARN_MOVED_TO_DR_REGION',
          resource: value,
          message: `${at} named ${value}; by the default rule it now names ${moved}, which Lifeboat did not check.`,
          fix: `Make sure ${moved} exists in ${this.ctx.drRegion} (or add mappings.secrets["${value}"] = "<DR ARN>" to the Lifeboat config if it has another ARN there).`,
        });
      } else if (mentionsRegion(value, this.ctx.primaryRegion)) {
        this.report(at, {
          severity: 'warning',
          code: 'PRIMARY_REGION_REFERENCE',
          resource: at,
          message: `${at} is "${value.length > 200 ? `${value.slice(0, 197)}...` : value}", which names the primary region ${this.ctx.primaryRegion}; Lifeboat does not rewrite free-form values.`,
          fix: `Check whether this still works while ${this.ctx.primaryRegion} is down; if not, point it at ${this.ctx.drRegion} in the source definition (or make the application read the region from AWS_REGION).`,
        });
      }
    }
  }
}

/**
 * `input` with the `arnKey` of each element of its `listKey` array that names one of `pending`
 * replaced by what `created` maps it to (resources the restore made in DR for primary ones the
 * plan left pending). Returns the pending ARNs `created` lacks, for the caller to report; `input`
 * is not modified.
 */
export function replacePending<T extends Record<string, unknown>>(
  input: T,
  listKey: string,
  arnKey: string,
  pending: readonly string[],
  created: Readonly<Record<string, string>>,
): { input: T; missing: string[] } {
  const missing = pending.filter((arn) => lookup(created, arn) === undefined);
  const current = input[listKey];
  if (!Array.isArray(current) || pending.length === 0) return { input, missing };
  const wanted = new Set(pending);
  const replaced = current.map((item: unknown) => {
    const arn = isRecord(item) ? item[arnKey] : undefined;
    const to = typeof arn === 'string' && wanted.has(arn) ? lookup(created, arn) : undefined;
    return to && isRecord(item) ? { ...item, [arnKey]: to } : item;
  });
  return { input: { ...input, [listKey]: replaced }, missing };
}
