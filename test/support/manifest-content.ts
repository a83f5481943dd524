import type { Manifest } from '../../src/catalog/manifest';

/**
 * What two backups of an unchanged fleet must agree on: the manifest without its identity and
 * times, and without what every backup takes anew (its EBS snapshots, their DR copies, and when).
 */
export function manifestContent(manifest: Manifest): unknown {
  const {
    id: _id,
    startedAt: _started,
    completedAt: _completed,
    checksum: _checksum,
    errors,
    ...rest
  } = manifest;
  const ebs = rest.volumes.ebs.map(
    ({
      sourceSnapshotId: _source,
      drSnapshotId: _dr,
      snapshotAt: _snapshotAt,
      copiedAt: _copiedAt,
      ...volume
    }) => volume,
  );
  return {
    ...rest,
    volumes: { ...rest.volumes, ebs },
    errors: errors.map(({ at: _at, ...error }) => error),
  };
}
