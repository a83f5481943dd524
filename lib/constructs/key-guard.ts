import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';

/** Sid of the key policy statement that `guardKeyDeletion` adds. */
export const KEY_DELETION_GUARD_SID = 'DenyKeyDeletionAndDisabling';

/**
 * Adds to `key`'s policy a Deny of `kms:ScheduleKeyDeletion` and `kms:DisableKey` for every
 * principal, the account root and administrators included, except `breakGlassPrincipalArn`
 * (`aws:PrincipalArn`) when one is given. Without one the deny has no exception: nobody can
 * schedule the key's deletion or disable it while this statement stands (set
 * `catalog.breakGlassPrincipalArn` to allow one principal to).
 *
 * `kms:PutKeyPolicy` is deliberately not denied: CloudFormation must keep managing the key
 * policy. A principal allowed to put the key policy could remove this statement first; the next
 * deployment puts it back, and CloudTrail records both calls.
 */
export function guardKeyDeletion(key: kms.IKey, breakGlassPrincipalArn?: string): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: KEY_DELETION_GUARD_SID,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:ScheduleKeyDeletion', 'kms:DisableKey'],
      resources: ['*'],
      ...(breakGlassPrincipalArn
        ? { conditions: { ArnNotEquals: { 'aws:PrincipalArn': breakGlassPrincipalArn } } }
        : {}),
    }),
  );
}
