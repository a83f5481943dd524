import type {
  RegisterTaskDefinitionInputRecord,
  SealedVariable,
  TaskDefinitionRecord,
} from '../catalog/manifest';
import { type LifeboatConfig, SECRET_PATTERN_FLAGS } from '../config/schema';
import type { Finding } from '../kernel/findings';
import { EnvironmentUnsealError } from './errors';

/**
 * Secret environment values: which `containerDefinitions[].environment` variables look secret
 * (by name or by value, `capture.secretEnvironment`), taking them out of a RegisterTaskDefinition
 * input and putting them back. Pure: the KMS calls that seal and unseal the values are in
 * `aws/secrets.ts`.
 *
 * Such values are sealed rather than refused: refusing would leave the service unrestorable
 * exactly in an outage, when nobody can move the primary's variables to Secrets Manager; sealed,
 * the restore still works while the value never sits in plain text in the catalog, the plan, a
 * report, a log or the CLI's output.
 */

/** The patterns of `capture.secretEnvironment`: regular expression sources. */
export type SecretEnvironmentPatterns = LifeboatConfig['capture']['secretEnvironment'];

/** What plans and views show instead of a sealed value. */
export const MASK = '***';

/** Whether a variable (name and value) holds a secret. */
export type SecretTest = (name: string, value: string) => boolean;

/** The test for `patterns`: a name matching any name pattern, or a value matching any value pattern. */
export function secretTest(patterns: SecretEnvironmentPatterns): SecretTest {
  const compile = (sources: readonly string[]) => sources.map((s) => new RegExp(s, SECRET_PATTERN_FLAGS));
  const names = compile(patterns.namePatterns);
  const values = compile(patterns.valuePatterns);
  return (name, value) => names.some((re) => re.test(name)) || values.some((re) => re.test(value));
}

/** An environment variable of a container, with its position in the container's `environment`. */
export interface EnvironmentVariable {
  readonly container: string;
  readonly name: string;
  readonly index: number;
  readonly value: string;
}

/**
 * The variables of `input` that `isSecret`, in container order then environment order. A
 * variable without a value, or with an empty one, holds nothing to seal.
 */
export function findSecretEnvironment(
  input: RegisterTaskDefinitionInputRecord,
  isSecret: SecretTest,
): EnvironmentVariable[] {
  return input.containerDefinitions.flatMap((container) =>
    environmentOf(container).flatMap((variable, index): EnvironmentVariable[] => {
      const { name, value } = variable;
      return typeof name === 'string' && typeof value === 'string' && value !== '' && isSecret(name, value)
        ? [{ container: container.name, name, index, value }]
        : [];
    }),
  );
}

/** `input` without `variables` (found by `findSecretEnvironment`); the other variables keep their order. */
export function withoutVariables(
  input: RegisterTaskDefinitionInputRecord,
  variables: readonly Pick<EnvironmentVariable, 'container' | 'index'>[],
): RegisterTaskDefinitionInputRecord {
  const removed = new Set(variables.map((v) => `${v.container}\u0000${v.index}`));
  return {
    ...input,
    containerDefinitions: input.containerDefinitions.map((container) =>
      Array.isArray(container.environment)
        ? {
            ...container,
            environment: container.environment.filter(
              (_, index) => !removed.has(`${container.name}\u0000${index}`),
            ),
          }
        : container,
    ),
  };
}

/**
 * `input` with `variables` put back into their containers' `environment` at the positions they
 * were taken from, so the result equals the task definition as captured. Throws
 * EnvironmentUnsealError when a variable names a container `input` does not have.
 */
export function withVariables(
  input: RegisterTaskDefinitionInputRecord,
  family: string,
  variables: readonly EnvironmentVariable[],
): RegisterTaskDefinitionInputRecord {
  const containers = new Set(input.containerDefinitions.map((c) => c.name));
  const stray = variables.find((v) => !containers.has(v.container));
  if (stray) {
    throw new EnvironmentUnsealError(
      `The sealed variable ${stray.name} belongs to container ${stray.container}, which task definition family ${family} does not have; nothing was registered. Take a new backup of the service.`,
      family,
      stray.container,
      stray.name,
    );
  }
  return {
    ...input,
    containerDefinitions: input.containerDefinitions.map((container) => {
      const own = variables.filter((v) => v.container === container.name).sort((a, b) => a.index - b.index);
      if (own.length === 0) return container;
      const environment: unknown[] = Array.isArray(container.environment) ? [...container.environment] : [];
      for (const v of own) environment.splice(v.index, 0, { name: v.name, value: v.value });
      return { ...container, environment };
    }),
  };
}

/** The key of the encryption context that says what a ciphertext is for. */
export const PURPOSE_CONTEXT_KEY = 'lifeboat:purpose';
/** `lifeboat:purpose` of a sealed environment value (the IAM grants are conditioned on it). */
export const ENVIRONMENT_PURPOSE = 'environment';

/**
 * The KMS encryption context of a sealed value: its purpose, the deployment and the variable
 * (`<family>/<container>/<name>`). KMS refuses to decrypt with any other context, so a
 * ciphertext cannot be moved to another variable, task definition or deployment.
 */
export function environmentContext(
  deploymentId: string,
  family: string,
  variable: Pick<SealedVariable, 'container' | 'name'>,
): Record<string, string> {
  return {
    [PURPOSE_CONTEXT_KEY]: ENVIRONMENT_PURPOSE,
    'lifeboat:deployment': deploymentId,
    'lifeboat:variable': `${family}/${variable.container}/${variable.name}`,
  };
}

/**
 * A sealed variable as a plan carries it: where it goes and its ciphertext (the restore's service
 * step decrypts it), with `***` where the value would be.
 */
export type MaskedVariable = SealedVariable & { readonly value: typeof MASK };

/** The sealed variables as plans carry them, in their order (container, then environment). */
export function maskedVariables(sealed: readonly SealedVariable[]): MaskedVariable[] {
  return sealed.map((variable) => ({ ...variable, value: MASK }));
}

/**
 * The plan's warning for a task definition with sealed variables (SECRET_IN_ENVIRONMENT): it
 * names the variables, never their values, and says how to keep them out of `environment`.
 */
export function secretInEnvironmentFinding(
  record: Pick<TaskDefinitionRecord, 'sourceArn' | 'family' | 'revision' | 'sealedEnvironment'>,
): Omit<Finding, 'service'> {
  const listed = (record.sealedEnvironment ?? []).map((v) => `${v.name}=${MASK} (container ${v.container})`);
  return {
    severity: 'warning',
    code: 'SECRET_IN_ENVIRONMENT',
    resource: record.sourceArn,
    message: `Task definition ${record.family}:${record.revision} keeps secrets in plain-text environment variables: ${listed.join(', ')}. The backup sealed their values with the catalog's KMS key; the restore decrypts them right before it registers the task definition.`,
    fix: `Move them to Secrets Manager or SSM Parameter Store and reference them in the container's "secrets" (valueFrom), which Lifeboat restores by reference.`,
  };
}

function environmentOf(container: Record<string, unknown>): Record<string, unknown>[] {
  const environment = container.environment;
  return Array.isArray(environment)
    ? environment.map((v) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {}))
    : [];
}
