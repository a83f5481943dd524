import type { Tag } from '../../catalog/manifest';
import type { Finding } from '../../kernel/findings';
import { DEPLOYMENT_TAG, MAX_TAGS, type Provenance, RECOVERY_POINT_TAG, withProvenance } from '../inventory';

/**
 * The tags of something the restore creates in DR: its source tags plus `lifeboat:deployment`
 * and `lifeboat:recovery-point`, so a later restore knows the resource is this deployment's and
 * which recovery point it holds. A source with too many tags for both loses its last ones, with a
 * warning: without the deployment tag the next restore would refuse to update what it created.
 */
export function provenanceTags(
  tags: readonly Tag[],
  provenance: Provenance,
  resource: string,
  label: string,
): { tags: Tag[]; finding?: Omit<Finding, 'service'> } {
  const result = withProvenance(tags, provenance);
  if (result.dropped.length === 0) return { tags: result.tags };
  return {
    tags: result.tags,
    finding: {
      severity: 'warning',
      code: 'TAGS_DROPPED',
      resource,
      message: `${label} has ${tags.length} tags; with ${DEPLOYMENT_TAG} and ${RECOVERY_POINT_TAG} that is more than the ${MAX_TAGS} allowed, so it is restored without ${result.dropped.map((t) => t.key).join(', ')}.`,
      fix: `Remove tags from the source in the primary region (at most ${MAX_TAGS - 2}) and take a new backup, or add the dropped tags in the DR region after the restore.`,
    },
  };
}
