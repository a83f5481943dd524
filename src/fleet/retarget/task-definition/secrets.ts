import { eachRecord, isRecord, type Json } from '../refs';
import type { TaskDefinitionRetarget } from './rule';

/**
 * Secrets: `secrets[].valueFrom` and `repositoryCredentials` → their DR replicas (mapping, else
 * the region rule), checked against the DR inventory; SSM parameter names stay.
 */
export function retargetSecrets(container: Json, path: string, { session }: TaskDefinitionRetarget): void {
  if (isRecord(container.repositoryCredentials)) {
    session.rewriteSecretReference(
      container.repositoryCredentials,
      'credentialsParameter',
      `${path}.repositoryCredentials.credentialsParameter`,
      'secret',
    );
  }
  eachRecord(container, 'secrets', (secret, j) => {
    session.rewriteSecretReference(secret, 'valueFrom', `${path}.secrets[${j}].valueFrom`, 'parameter');
  });
}
