import type * as iam from 'aws-cdk-lib/aws-iam';
import { addStatements, allow, type Conditions, type GrantTarget } from './statements';

/**
 * Using a KMS key. The keys of the other stack are addressed by alias, never by a cross-region
 * reference: an alias ARN does not authorise, so a statement names every key of the region
 * (`key/*`) and narrows it with `kms:ResourceAliases` and `kms:ViaService`.
 */
export interface KeyUseProps {
  /** Sid of the statement. */
  readonly sid: string;

  /** The KMS actions, each named. */
  readonly actions: readonly string[];

  /** The keys, e.g. every key of the account in a region (`arn:…:kms:<region>:<account>:key/*`). */
  readonly keys: string;

  /**
   * Only the key with this alias (`kms:ResourceAliases`), e.g. `alias/lifeboat-catalog`.
   *
   * @default - any of `keys`
   */
  readonly alias?: string;

  /**
   * Only through these services (`kms:ViaService`, see `viaService`); one renders as a string.
   *
   * @default - called directly or through any service
   */
  readonly via?: string | readonly string[];

  /**
   * Only with these encryption context pairs (`kms:EncryptionContext:<key>`), for the
   * cryptographic operations that take one (Encrypt, Decrypt, GenerateDataKey).
   *
   * @default - any encryption context, or none
   */
  readonly encryptionContext?: Readonly<Record<string, string>>;
}

/** The statement that allows `actions` on the keys of `props`, narrowed by alias and service. */
export function keyUse(props: KeyUseProps): iam.PolicyStatement {
  return allow(props.sid, props.actions, [props.keys], keyConditions(props));
}

/**
 * Grants `target` the use of a key through a service that keeps using it after the call (EBS:
 * snapshot copies, volumes), and `kms:CreateGrant` on the same key under the same conditions,
 * for AWS resources only (`kms:GrantIsForAWSResource`).
 */
export function grantKeyToAwsResources(target: GrantTarget, use: KeyUseProps, grantSid: string): void {
  addStatements(target, [
    keyUse(use),
    allow(grantSid, ['kms:CreateGrant'], [use.keys], {
      ...keyConditions(use),
      Bool: { 'kms:GrantIsForAWSResource': 'true' },
    }),
  ]);
}

function keyConditions(props: KeyUseProps): Conditions | undefined {
  const equals: Record<string, unknown> = {
    ...(props.via ? { 'kms:ViaService': props.via } : {}),
    ...Object.fromEntries(
      Object.entries(props.encryptionContext ?? {}).map(([k, v]) => [`kms:EncryptionContext:${k}`, v]),
    ),
  };
  const conditions: Conditions = {
    ...(props.alias ? { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': props.alias } } : {}),
    ...(Object.keys(equals).length > 0 ? { StringEquals: equals } : {}),
  };
  return Object.keys(conditions).length > 0 ? conditions : undefined;
}
