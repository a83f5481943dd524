import { compareText } from '../../../kernel/findings';
import { isRecord, type Json, lookup, type RetargetSession } from '../refs';
import type { PendingAccessPoint, RetargetContext, TaskDefinitionRetarget } from './rule';

function rewriteEfsVolume(
  volume: Json,
  path: string,
  ctx: RetargetContext,
  session: RetargetSession,
  used: Map<string, string>,
  pending: Map<string, PendingAccessPoint>,
): void {
  const efs = volume.efsVolumeConfiguration;
  if (!isRecord(efs) || typeof efs.fileSystemId !== 'string' || efs.fileSystemId === '') return;
  const at = `${path}.efsVolumeConfiguration`;
  const sourceFs = efs.fileSystemId;
  const drFs =
    lookup(ctx.efsFileSystems, sourceFs) ??
    (Object.values(ctx.efsFileSystems).includes(sourceFs) ? sourceFs : undefined);
  if (drFs === undefined) {
    session.report(`${at}.fileSystemId`, {
      severity: 'error',
      code: 'EFS_NOT_REPLICATED',
      resource: sourceFs,
      message: `EFS file system ${sourceFs} has no replica in ${ctx.drRegion} recorded in the recovery point and no mapping; the volume "${String(volume.name)}" cannot be mounted.`,
      fix: `Enable EFS replication of ${sourceFs} to ${ctx.drRegion} (Lifeboat records the replica), or add mappings.efsFileSystems["${sourceFs}"] = "fs-<DR id>" to the Lifeboat config.`,
    });
    return;
  }
  session.set(efs, 'fileSystemId', `${at}.fileSystemId`, drFs);
  const source =
    lookup(ctx.efsFileSystems, sourceFs) !== undefined
      ? sourceFs
      : (findSource(ctx.efsFileSystems, drFs) ?? drFs);
  used.set(source, drFs);
  const auth = efs.authorizationConfig;
  if (!isRecord(auth) || typeof auth.accessPointId !== 'string' || auth.accessPointId === '') return;
  const sourceAp = auth.accessPointId;
  const drAp = lookup(ctx.efsAccessPoints, sourceAp);
  if (drAp !== undefined) {
    session.set(auth, 'accessPointId', `${at}.authorizationConfig.accessPointId`, drAp);
  } else if (!Object.values(ctx.efsAccessPoints).includes(sourceAp)) {
    pending.set(sourceAp, {
      sourceAccessPointId: sourceAp,
      sourceFileSystemId: source,
      drFileSystemId: drFs,
    });
  }
}

function findSource(mapping: Readonly<Record<string, string>>, drId: string): string | undefined {
  return Object.keys(mapping)
    .filter((k) => mapping[k] === drId)
    .sort(compareText)[0];
}

/**
 * EFS: a volume's file system → its DR replica (the recovery point's, or a mapping), its access
 * point → the one a previous restore made, else listed as pending (`applyAccessPointIds`
 * substitutes it once made); a file system without a DR counterpart is an error finding.
 */
export function retargetEfsVolume(volume: Json, path: string, retarget: TaskDefinitionRetarget): void {
  rewriteEfsVolume(
    volume,
    path,
    retarget.ctx,
    retarget.session,
    retarget.fileSystems,
    retarget.pendingAccessPoints,
  );
}
