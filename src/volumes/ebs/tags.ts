/**
 * Tags that tie EBS volumes and snapshots to Lifeboat.
 *
 * A standalone volume (not created by ECS) is backed up when it carries
 * `lifeboat:backup=true` and `lifeboat:service=<cluster>/<service>` of a selected service.
 * Every snapshot Lifeboat creates (in either region) carries `lifeboat:managed=true`, the
 * recovery point it belongs to, the deployment that made it and its role. Retention finds what
 * to delete through its own records (manifests, staging), never by these tags alone: a tag can be
 * copied (DLM, AWS Backup), so the tags only confirm that a recorded snapshot is still the one
 * this deployment made. A volume the restore creates carries its provenance
 * (`lifeboat:role=restored-volume`), never `lifeboat:managed`.
 */

/** `true` on a volume to back it up. */
export const BACKUP_TAG = 'lifeboat:backup';

/** `<cluster>/<service>`: the service a standalone volume belongs to. */
export const SERVICE_TAG = 'lifeboat:service';

/** `true` on every snapshot Lifeboat created for a recovery point. */
export const MANAGED_TAG = 'lifeboat:managed';

/** The deployment (`deploymentIdOf(config)`) that created a snapshot or volume (the same key as on restored services). */
export { DEPLOYMENT_TAG } from '../../fleet/inventory';

/** What Lifeboat created a snapshot or volume as (see `LifeboatRole`). */
export const ROLE_TAG = 'lifeboat:role';

/**
 * `backup-source`: the primary-region snapshot of a backup; `backup-copy`: its DR copy;
 * `restored-volume`: a volume the restore created (retention never deletes volumes).
 */
export type LifeboatRole = 'backup-source' | 'backup-copy' | 'restored-volume';

export const BACKUP_ROLES: readonly LifeboatRole[] = ['backup-source', 'backup-copy'];

/** Recovery point id a snapshot was taken for (the same key the DR inventory reads). */
export { RECOVERY_POINT_TAG } from '../../fleet/inventory';

/** The volume a snapshot (or a restored volume) was made from. */
export const SOURCE_VOLUME_TAG = 'lifeboat:source-volume';

/** On a DR copy: the primary-region snapshot it was copied from. */
export const SOURCE_SNAPSHOT_TAG = 'lifeboat:source-snapshot';

/** Tags ECS puts on the volumes it creates for a service's tasks (reserved: users cannot set them). */
export const ECS_MANAGED_TAG = 'AmazonECSManaged';
export const ECS_CREATED_TAG = 'AmazonECSCreated';
