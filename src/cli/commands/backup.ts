import { type CaptureLogger, type RunCaptureResult, runCapture } from '../../backup/capture';
import { ExitCode } from '../errors';
import { plural } from '../format';
import type { Session } from '../session';
import { manifestCounts, recoveryPointHeader, renderBackup } from '../views';

function attributes(attrs: Record<string, unknown>): string {
  const parts = Object.entries(attrs)
    .filter(([key]) => key !== 'recoveryPointId')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** Capture progress as lines on stderr. */
function stderrLogger(session: Session): CaptureLogger {
  return {
    info: (message, attrs) => session.out.info(`  ${message}${attributes(attrs)}`),
    warn: (message, attrs) => session.out.warn(`${message}${attributes(attrs)}`),
  };
}

/**
 * Captures the selected services of the primary region in this process and commits a
 * recovery point to the DR catalog; progress on stderr (capture log lines with `verbose`).
 */
export async function takeBackup(
  session: Session,
  opts: { readonly verbose: boolean } = { verbose: true },
): Promise<RunCaptureResult & { readonly bucket: string }> {
  const { config } = session;
  const clients = await session.clients();
  const { bucket, kmsKeyId } = await session.catalogLocation();
  const result = await session.out.step(
    `Capturing ECS services in ${config.primaryRegion} and making their images present in ${config.drRegion}`,
    () =>
      runCapture({
        clients,
        config,
        bucket,
        kmsKeyId,
        counter: session.calls,
        // The emulator has no EFS replication: on it, a DR file system stands in for each replica.
        efsEmulatorFallback: session.local,
        verifyImages: true,
        ...(opts.verbose ? { log: stderrLogger(session) } : {}),
      }),
  );
  return { ...result, bucket };
}

/**
 * `lifeboat backup`: captures the selected services of the primary region in this process
 * (against `--endpoint`, or AWS with the caller's credentials) and commits a recovery point
 * to the DR catalog. Exit 1 when the recovery point is partial.
 */
export async function runBackupCommand(session: Session): Promise<number> {
  const { config } = session;
  const { manifest, key, warnings, counts, bucket } = await takeBackup(session);
  session.out.result(
    {
      recoveryPoint: recoveryPointHeader(manifest),
      catalog: { bucket, region: config.drRegion, key },
      counts: manifestCounts(manifest),
      selection: counts,
      errors: manifest.errors,
      warnings,
      calls: session.calls.toJSON(),
    },
    () => renderBackup(manifest, key, bucket, session.out.color),
  );
  if (manifest.status === 'partial') {
    session.out.error(
      `Recovery point ${manifest.id} is partial: ${plural(manifest.errors.length, 'resource')} could not be captured (see the errors). ` +
        'It is stored and can be restored with --allow-partial; fix the causes and run `lifeboat backup` again.',
    );
    return ExitCode.Failed;
  }
  return ExitCode.Ok;
}
