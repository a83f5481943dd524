import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import type {
  RegisterTaskDefinitionInputRecord,
  SealedVariable,
  TaskDefinitionRecord,
} from '../../catalog/manifest';
import { EnvironmentSealError, EnvironmentUnsealError } from '../errors';
import {
  ENVIRONMENT_PURPOSE,
  type EnvironmentVariable,
  environmentContext,
  findSecretEnvironment,
  PURPOSE_CONTEXT_KEY,
  type SecretTest,
  withoutVariables,
  withVariables,
} from '../secrets';

/**
 * Sealing and unsealing secret environment values with the catalog's KMS key (DR region),
 * called on KMS directly: Encrypt by the backup's capture, Decrypt by the restore's service step
 * only, both under the encryption context of `environmentContext`. Sealed rather than refused,
 * so a service whose task definition keeps a password in `environment` is still restorable in
 * an outage (see `../secrets.ts`).
 */

/** The most plaintext KMS Encrypt takes, in bytes. */
export const KMS_ENCRYPT_MAX_BYTES = 4096;

export interface SealOptions {
  /** KMS client in the DR region (where the catalog key is). */
  readonly kms: KMSClient;
  /** The catalog key (alias or ARN), e.g. `alias/lifeboat-catalog`. */
  readonly keyId: string;
  /** `lifeboat:deployment` of the encryption context. */
  readonly deploymentId: string;
}

/**
 * The record with every variable `isSecret` finds taken out of `registerInput` and kept in
 * `sealedEnvironment` as a ciphertext (one KMS Encrypt each). The record itself when none is.
 * Throws EnvironmentSealError (naming the variable, never its value) when one cannot be sealed:
 * the task definition must then not be captured at all, rather than captured in plain text.
 */
export async function sealEnvironment(
  record: TaskDefinitionRecord,
  isSecret: SecretTest,
  opts: SealOptions,
): Promise<TaskDefinitionRecord> {
  const found = findSecretEnvironment(record.registerInput, isSecret);
  if (found.length === 0) return record;
  const sealed: SealedVariable[] = [];
  for (const variable of found) {
    sealed.push({
      container: variable.container,
      name: variable.name,
      index: variable.index,
      ciphertext: await encrypt(record.family, variable, opts),
    });
  }
  return {
    ...record,
    registerInput: withoutVariables(record.registerInput, found),
    sealedEnvironment: sealed,
  };
}

async function encrypt(family: string, variable: EnvironmentVariable, opts: SealOptions): Promise<string> {
  const plaintext = Buffer.from(variable.value, 'utf8');
  const where = `variable ${variable.name} of container ${variable.container} (task definition family ${family})`;
  if (plaintext.length > KMS_ENCRYPT_MAX_BYTES) {
    throw new EnvironmentSealError(
      `The ${where} looks secret but its value is ${plaintext.length} bytes, more than the ${KMS_ENCRYPT_MAX_BYTES} KMS can seal; the task definition is not captured. Move it to Secrets Manager or SSM Parameter Store and reference it in the container's "secrets".`,
      family,
      variable.container,
      variable.name,
    );
  }
  try {
    const res = await opts.kms.send(
      new EncryptCommand({
        KeyId: opts.keyId,
        Plaintext: plaintext,
        EncryptionContext: environmentContext(opts.deploymentId, family, variable),
      }),
    );
    if (!res.CiphertextBlob) throw new Error('Encrypt returned no CiphertextBlob');
    return Buffer.from(res.CiphertextBlob).toString('base64');
  } catch (error) {
    throw new EnvironmentSealError(
      `Could not seal the ${where} with KMS key ${opts.keyId} (${awsErrorCode(error)}: ${awsErrorMessage(error)}); the task definition is not captured rather than stored in plain text. ` +
        `Check that the RecoveryStack is deployed (it creates the key) and that the capture role may kms:Encrypt with it under the encryption context ${PURPOSE_CONTEXT_KEY}=${ENVIRONMENT_PURPOSE}.`,
      family,
      variable.container,
      variable.name,
      { cause: error },
    );
  }
}

export interface UnsealOptions {
  /** KMS client in the DR region. */
  readonly kms: KMSClient;
  /** The catalog key (alias or ARN): Decrypt refuses a ciphertext of another key. @default - the key the ciphertext names */
  readonly keyId?: string;
  /** `lifeboat:deployment` of the encryption context: the deployment that took the recovery point. */
  readonly deploymentId: string;
}

/**
 * `registerInput` with the `sealed` variables of task definition `family` decrypted (one KMS
 * Decrypt each) and put back where they were (`withVariables`). The result is what
 * RegisterTaskDefinition gets and must go nowhere else: not into a plan, a result, a report, a
 * log or an error. Throws EnvironmentUnsealError naming the first variable that does not decrypt
 * and what to check.
 */
export async function unsealEnvironment(
  registerInput: RegisterTaskDefinitionInputRecord,
  family: string,
  sealed: readonly SealedVariable[],
  opts: UnsealOptions,
): Promise<RegisterTaskDefinitionInputRecord> {
  if (sealed.length === 0) return registerInput;
  const variables: EnvironmentVariable[] = [];
  for (const variable of sealed) {
    variables.push({ ...variable, value: await decrypt(family, variable, opts) });
  }
  return withVariables(registerInput, family, variables);
}

async function decrypt(family: string, variable: SealedVariable, opts: UnsealOptions): Promise<string> {
  const context = environmentContext(opts.deploymentId, family, variable);
  try {
    const res = await opts.kms.send(
      new DecryptCommand({
        CiphertextBlob: Buffer.from(variable.ciphertext, 'base64'),
        EncryptionContext: context,
        ...(opts.keyId ? { KeyId: opts.keyId } : {}),
      }),
    );
    if (!res.Plaintext) throw new Error('Decrypt returned no Plaintext');
    return Buffer.from(res.Plaintext).toString('utf8');
  } catch (error) {
    throw new EnvironmentUnsealError(
      `Could not decrypt the sealed variable ${variable.name} of container ${variable.container} (task definition family ${family}): ${awsErrorCode(error)}; nothing was registered for the service. ` +
        `Check that the restore's service role may kms:Decrypt with the catalog key${opts.keyId ? ` ${opts.keyId}` : ''} under the encryption context ${PURPOSE_CONTEXT_KEY}=${ENVIRONMENT_PURPOSE}, ` +
        `and that the recovery point was taken by this deployment (${context['lifeboat:deployment']}): the ciphertext only decrypts for lifeboat:variable=${context['lifeboat:variable']}.`,
      family,
      variable.container,
      variable.name,
      { cause: error },
    );
  }
}
