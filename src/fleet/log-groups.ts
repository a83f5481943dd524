import type { LogGroupRecord } from '../catalog/manifest';
import { formatArn, parseArn } from '../kernel/arns';
import type { Finding } from '../kernel/findings';
import { isRecord } from './retarget/refs';

/**
 * CloudWatch Logs log groups: which ones a fleet writes to, and with which KMS key the restore
 * creates them in the DR region. Pure: the reading is in `aws/log-groups.ts`.
 */

/**
 * The CloudWatch log group a `logConfiguration` (container, Service Connect) writes to in
 * `region`: `awslogs-group` of the awslogs driver, `log_group_name` of FireLens' cloudwatch
 * outputs, when its region is `region`. Undefined for other drivers, other regions and names
 * with a placeholder (`$(…)`), the same rule the restore's retargeting collects log groups by.
 */
export function logGroupOf(logConfiguration: unknown, region: string): string | undefined {
  if (!isRecord(logConfiguration) || !isRecord(logConfiguration.options)) return undefined;
  const { logDriver, options } = logConfiguration;
  const [regionValue, group] =
    logDriver === 'awslogs'
      ? [options['awslogs-region'], options['awslogs-group']]
      : logDriver === 'awsfirelens' && (options.Name === 'cloudwatch' || options.Name === 'cloudwatch_logs')
        ? [options.region, options.log_group_name]
        : [undefined, undefined];
  if (regionValue !== region || typeof group !== 'string' || group === '' || group.includes('$(')) {
    return undefined;
  }
  return group;
}

/**
 * The log groups, sorted and distinct, that these task definitions' containers and these
 * services' Service Connect configurations write to in `region`.
 */
export function logGroupsWritten(
  registerInputs: readonly { readonly containerDefinitions: readonly Record<string, unknown>[] }[],
  createInputs: readonly Record<string, unknown>[],
  region: string,
): string[] {
  const names = new Set<string>();
  const add = (logConfiguration: unknown) => {
    const name = logGroupOf(logConfiguration, region);
    if (name !== undefined) names.add(name);
  };
  for (const input of registerInputs) {
    for (const container of input.containerDefinitions) add(container.logConfiguration);
  }
  for (const input of createInputs) {
    const serviceConnect = input.serviceConnectConfiguration;
    if (isRecord(serviceConnect)) add(serviceConnect.logConfiguration);
  }
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Where a log group's KMS key comes from in the DR region. */
export interface LogGroupKey {
  /** The DR key ARN to create the group with; absent = CloudWatch Logs' own encryption. */
  readonly kmsKeyId?: string;
  /** `mapping`: `mappings.kmsKeys`; `multi-region`: the `mrk-` replica; `dr`: the key is a DR key already. */
  readonly source?: 'mapping' | 'multi-region' | 'dr';
  /** LOG_GROUP_KEY_NOT_MAPPED when the group was encrypted and no DR key could be found. */
  readonly finding?: Omit<Finding, 'service'>;
}

export interface LogGroupKeyContext {
  readonly primaryRegion: string;
  readonly drRegion: string;
  /** `config.mappings.kmsKeys`: primary key ARN → DR key ARN. */
  readonly kmsKeys: Readonly<Record<string, string>>;
}

/**
 * The DR KMS key for a log group encrypted with `record.kmsKeyId` in the primary region: the
 * `mappings.kmsKeys` entry, else the replica of a multi-Region key (`key/mrk-…`, the same ARN in
 * the DR region), else the key as it is when it is in the DR region already. Otherwise the group
 * is created without a key (a key of another region cannot encrypt a DR log group) and a
 * LOG_GROUP_KEY_NOT_MAPPED warning names the fix.
 */
export function drLogGroupKey(
  record: Pick<LogGroupRecord, 'logGroupName' | 'kmsKeyId'>,
  ctx: LogGroupKeyContext,
): LogGroupKey {
  const key = record.kmsKeyId;
  if (key === undefined) return {};
  const mapped = Object.hasOwn(ctx.kmsKeys, key) ? ctx.kmsKeys[key] : undefined;
  if (mapped !== undefined) return { kmsKeyId: mapped, source: 'mapping' };
  const arn = parseArn(key);
  if (arn?.service === 'kms' && arn.region === ctx.drRegion) return { kmsKeyId: key, source: 'dr' };
  if (arn?.service === 'kms' && /^key\/mrk-[a-z0-9]+$/.test(arn.resource)) {
    return { kmsKeyId: formatArn({ ...arn, region: ctx.drRegion }), source: 'multi-region' };
  }
  return {
    finding: {
      severity: 'warning',
      code: 'LOG_GROUP_KEY_NOT_MAPPED',
      resource: record.logGroupName,
      message: `Log group ${record.logGroupName} is encrypted with KMS key ${key} in ${ctx.primaryRegion}, which is not a multi-Region key and has no entry in mappings.kmsKeys; the restore creates it in ${ctx.drRegion} without a KMS key (CloudWatch Logs' own encryption).`,
      fix: `Add mappings.kmsKeys["${key}"] = "arn:aws:kms:${ctx.drRegion}:<account>:key/<DR key id>" to the Lifeboat config (a key whose policy lets logs.${ctx.drRegion}.amazonaws.com use it), or use a multi-Region key replicated to ${ctx.drRegion}; or associate a key with the DR group after the restore (AssociateKmsKey).`,
    },
  };
}
