import type { ImageRecord } from '../../../catalog/manifest';
import { ecrImageUri, type ImageReference, parseImageReference } from '../../../images/references';
import type { Json, RetargetSession } from '../refs';
import type { RetargetContext, TaskDefinitionRetarget } from './rule';

const PRESENT = new Set(['replicated', 'backfilled', 'copied', 'already-present']);

function tryParseImage(uri: string): ImageReference | undefined {
  try {
    return parseImageReference(uri);
  } catch {
    return undefined;
  }
}

/** The same repository and reference (digest first) in the DR registry of the fleet's account. */
function drRegistryUri(
  ref: Extract<ImageReference, { kind: 'ecr' }>,
  ctx: RetargetContext,
): string | undefined {
  try {
    return ecrImageUri(
      ctx.account,
      ctx.drRegion,
      ref.repositoryName,
      ref.digest ? { digest: ref.digest } : { tag: ref.tag ?? 'latest' },
    );
  } catch {
    return undefined;
  }
}

function rewriteImage(
  container: Json,
  path: string,
  ctx: RetargetContext,
  byUri: ReadonlyMap<string, ImageRecord>,
  session: RetargetSession,
): void {
  const uri = container.image;
  if (typeof uri !== 'string' || uri === '') return;
  const at = `${path}.image`;
  const ref = tryParseImage(uri);
  const ecr = ref?.kind === 'ecr' ? ref : undefined;
  const ours = ecr !== undefined && ecr.registryId === ctx.account;
  const inPrimary = ours && ecr.region === ctx.primaryRegion;
  const record = byUri.get(uri);
  const usable = record !== undefined && record.presence !== 'external' ? record : undefined;

  if (usable !== undefined && (inPrimary || usable.drUri !== undefined)) {
    const byDigest = usable.digest && ecr ? drRegistryUri({ ...ecr, digest: usable.digest }, ctx) : undefined;
    const target = usable.drUri ?? byDigest ?? (inPrimary && ecr ? drRegistryUri(ecr, ctx) : undefined);
    if (target !== undefined) session.set(container, 'image', at, target);
    if (usable.presence === 'missing') {
      session.report(at, {
        severity: 'error',
        code: 'IMAGE_MISSING',
        resource: uri,
        message: `Image ${uri}${usable.digest ? ` (${usable.digest})` : ''} was not present in ${ctx.drRegion} when the recovery point was taken; tasks cannot pull it.`,
        fix: `Replicate the image to ${ctx.drRegion} (ECR replication, or run a backup), then restore from a newer recovery point.`,
      });
    } else if (!PRESENT.has(usable.presence) || target === undefined) {
      session.report(at, {
        severity: 'warning',
        code: 'IMAGE_UNVERIFIED',
        resource: uri,
        message: `Image ${uri} was resolved to ${usable.digest ?? 'no digest'}, but its presence in ${ctx.drRegion} was not verified.`,
        fix: `Check that ${target ?? uri} exists in ${ctx.drRegion} (aws ecr describe-images) before failing over.`,
      });
    }
    return;
  }
  if (inPrimary && ecr) {
    const target = drRegistryUri(ecr, ctx);
    if (target !== undefined) session.set(container, 'image', at, target);
    session.report(at, {
      severity: 'error',
      code: 'IMAGE_NOT_IN_RECOVERY_POINT',
      resource: uri,
      message: `Image ${uri} has no usable record in the recovery point, so it was never made present in ${ctx.drRegion}; the container points at ${target ?? 'the same URI'}, which may not exist.`,
      fix: `Run a backup so the image is replicated to ${ctx.drRegion}, then restore from the new recovery point.`,
    });
    return;
  }
  if (ours && ecr.region === ctx.drRegion) return;
  session.report(at, {
    severity: 'warning',
    code: ecr ? 'IMAGE_IN_OTHER_REGISTRY' : 'IMAGE_EXTERNAL',
    resource: uri,
    message: ecr
      ? `Image ${uri} is in ECR of account ${ecr.registryId} in ${ecr.region}, which Lifeboat does not copy; it is left as it is.`
      : `Image ${uri} is not in this account's ECR, so Lifeboat cannot pin or copy it; it is pulled from its registry at task start.`,
    fix: ecr
      ? `Make sure ${uri} can be pulled in ${ctx.drRegion} while ${ecr.region} is down (replicate it to ${ctx.drRegion}).`
      : `Create an ECR pull-through cache rule for its registry in ${ctx.drRegion} (or copy the image into ECR) and point the task definition at it, so failover does not depend on the external registry.`,
  });
}

/**
 * Images: an ECR image of the fleet's account in the primary region → the DR registry by
 * digest (the recovery point's `images[].drUri`), with a finding for a missing, unverified or
 * external image; collects the image each container runs.
 */
export function retargetImages(container: Json, path: string, retarget: TaskDefinitionRetarget): void {
  rewriteImage(container, path, retarget.ctx, retarget.imagesByUri, retarget.session);
  if (typeof container.image === 'string') retarget.images.add(container.image);
}
