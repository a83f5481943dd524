/**
 * Tags that tie EBS volumes and snapshots to Lifeboat.
 *
 * A standalone volume (not created by ECS) is backed up when it carries
 * `lifeboat:backup=true` and `lifeboat:service=<cluster>/<service>` of a selected service.
 * Every snapshot Lifeboat creates (in either region) carries `lifeboat:managed=true` and the
 * recovery point it belongs to; retention deletes only snapshots with those tags.
 */

/** `true` on a volume to back it up. */
export const BACKUP_TAG = 'lifeboat:backup';

/** `<cluster>/<service>`: the service a standalone volume belongs to. */
export const SERVICE_TAG = 'lifeboat:service';

/** `true` on every snapshot (and restored volume) Lifeboat created. */
export const MANAGED_TAG = 'lifeboat:managed';

/** Recovery point id a snapshot was taken for (the same key the DR inventory reads). */
export { RECOVERY_POINT_TAG } from '../../fleet/inventory';

/** The volume a snapshot (or a restored volume) was made from. */
export const SOURCE_VOLUME_TAG = 'lifeboat:source-volume';

/** On a DR copy: the primary-region snapshot it was copied from. */
export const SOURCE_SNAPSHOT_TAG = 'lifeboat:source-snapshot';

/** Tags ECS puts on the volumes it creates for a service's tasks (reserved: users cannot set them). */
export const ECS_MANAGED_TAG = 'AmazonECSManaged';
export const ECS_CREATED_TAG = 'AmazonECSCreated';
