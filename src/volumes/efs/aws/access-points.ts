import {
  CreateAccessPointCommand,
  type CreateAccessPointCommandInput,
  type EFSClient,
  paginateDescribeAccessPoints,
} from '@aws-sdk/client-efs';
import type { Tag } from '../../../catalog/manifest';
import { SOURCE_ID_TAG } from '../../../fleet/inventory';

/** An access point to make on a DR file system with what the recovery point recorded of its source. */
export interface AccessPointDefinition {
  readonly sourceAccessPointId: string;
  readonly drFileSystemId: string;
  readonly rootDirectory?: Record<string, unknown>;
  readonly posixUser?: Record<string, unknown>;
  /** Source tags plus `lifeboat:source-id=<source access point id>`, so a re-run finds it. */
  readonly tags: readonly Tag[];
}

/** The DR access point made for `sourceAccessPointId` (tagged lifeboat:source-id), if any. */
async function findAccessPoint(efs: EFSClient, ap: AccessPointDefinition): Promise<string | undefined> {
  for await (const page of paginateDescribeAccessPoints(
    { client: efs },
    { FileSystemId: ap.drFileSystemId },
  )) {
    const found = (page.AccessPoints ?? []).find((p) =>
      p.Tags?.some((t) => t.Key === SOURCE_ID_TAG && t.Value === ap.sourceAccessPointId),
    );
    if (found?.AccessPointId) return found.AccessPointId;
  }
  return undefined;
}

/**
 * The id of the DR access point for `ap`: the one an earlier run made (found by its
 * lifeboat:source-id tag), else a new one (CreateAccessPoint with a client token of the source id).
 */
export async function ensureAccessPoint(efs: EFSClient, ap: AccessPointDefinition): Promise<string> {
  const existing = await findAccessPoint(efs, ap);
  if (existing) return existing;
  const res = await efs.send(
    new CreateAccessPointCommand({
      ClientToken: `lifeboat-${ap.sourceAccessPointId}`.slice(0, 64),
      FileSystemId: ap.drFileSystemId,
      ...(ap.rootDirectory
        ? { RootDirectory: ap.rootDirectory as unknown as CreateAccessPointCommandInput['RootDirectory'] }
        : {}),
      ...(ap.posixUser
        ? { PosixUser: ap.posixUser as unknown as CreateAccessPointCommandInput['PosixUser'] }
        : {}),
      Tags: ap.tags.map((t) => ({ Key: t.key, Value: t.value })),
    }),
  );
  if (!res.AccessPointId) throw new Error(`CreateAccessPoint returned no id for ${ap.sourceAccessPointId}`);
  return res.AccessPointId;
}
