/**
 * ARN parsing and the default cross-region rule: an ARN in the primary region of the
 * fleet's account names the same resource in the DR region (Secrets Manager replicas,
 * multi-region KMS keys and DynamoDB global tables keep their ARN apart from the region).
 */
export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** Everything after the account, colons included (`secret:db-AbCdEf:password::`). */
  readonly resource: string;
}

export function parseArn(value: string): Arn | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  const resource = parts.slice(5).join(':');
  if (!/^aws[a-z-]*$/.test(partition) || service === '' || resource === '') return undefined;
  return { partition, service, region, account, resource };
}

export function formatArn(arn: Arn): string {
  return `arn:${arn.partition}:${arn.service}:${arn.region}:${arn.account}:${arn.resource}`;
}

/** The partition of a region name: `aws-cn` for cn-*, `aws-us-gov` for us-gov-*, else `aws`. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * A Secrets Manager reference split into the secret's ARN and what ECS appends to select a
 * JSON key or version (`:json-key:version-stage:version-id`), kept verbatim.
 */
export function splitSecretArn(arn: Arn): { secretArn: string; selector: string } {
  const [kind = '', name = '', ...rest] = arn.resource.split(':');
  return {
    secretArn: formatArn({ ...arn, resource: `${kind}:${name}` }),
    selector: rest.length > 0 ? `:${rest.join(':')}` : '',
  };
}

/**
 * The secret's name without the six random characters Secrets Manager appends to its ARN
 * (`db-AbCdEf` → `db`). Replicas keep the suffix; a secret re-created by hand does not.
 */
export function secretNameOf(secretArn: string): string | undefined {
  const arn = parseArn(secretArn);
  if (arn?.service !== 'secretsmanager') return undefined;
  const name = arn.resource.split(':')[1] ?? '';
  return name.replace(/-[A-Za-z0-9]{6}$/, '');
}

/** Token match of a region name (or one of its availability zones) inside free text. */
export function mentionsRegion(text: string, region: string): boolean {
  const escaped = region.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9-])${escaped}[a-z]?($|[^A-Za-z0-9-])`).test(text);
}

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** Every IAM role ARN that stands as a whole string anywhere in `values` (at any depth), sorted. */
export function roleArnsIn(...values: unknown[]): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (ROLE_ARN.test(value)) found.add(value);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  values.forEach(visit);
  return [...found].sort();
}
