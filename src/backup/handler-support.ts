import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { AwsClients } from '../aws/clients';
import { PinStore } from '../catalog/aws/pins';
import { RetiredRecords } from '../catalog/aws/retired';
import { type CatalogStore, catalogStoreFor } from '../catalog/aws/store';
import { recoveryPointIdSchema } from '../catalog/manifest';
import { type BackupSettings, backupSettingsFromEnv } from '../config/settings';
import { BackupEventError } from './errors';
import type { RetentionDeps } from './retention';
import { type BackupStaging, catalogStaging } from './steps';

/** What every backup Lambda handler is built from; tests and the local runner pass emulator clients. */
export interface BackupHandlerDeps {
  readonly clients: AwsClients;
  /** `LIFEBOAT_CONFIG`, `CATALOG_BUCKET`, `CATALOG_KMS_KEY_ID`, `VOLUME_KMS_KEY_ID` (read on the first invocation). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** @default - the system clock */
  readonly now?: () => Date;
}

/** What a backup step runs with: the settings, and the DR catalog with the backup's staging in it. */
export interface BackupStepContext {
  readonly settings: BackupSettings;
  readonly store: CatalogStore;
  readonly staging: BackupStaging;
}

export interface BackupHandlerOptions<E> {
  /** Reads the step's input from the event (before anything else, so a bad event fails by name). */
  readonly readEvent: (event: unknown) => E;
  /** Logged (with the error) when the invocation fails. */
  readonly failureMessage: string;
  /** Count metric of 1 recorded when the invocation fails; needs `metrics`. */
  readonly failureMetric?: string;
  /** Published after every invocation. @default - no metrics */
  readonly metrics?: Metrics;
}

/**
 * The part every backup Lambda handler shares: adds the Lambda context to the logger, reads
 * the settings once (on the first invocation), logs a failure (and counts it in
 * `failureMetric`) before rethrowing it, and publishes the metrics after every invocation.
 */
export function backupStepHandler<E, R>(
  deps: BackupHandlerDeps,
  options: BackupHandlerOptions<E>,
  run: (input: E, step: BackupStepContext, context?: Context) => Promise<R>,
): (event: unknown, context?: Context) => Promise<R> {
  const { clients, logger } = deps;
  const { metrics } = options;
  let settings: BackupSettings | undefined;
  return async (event: unknown, context?: Context): Promise<R> => {
    if (context) logger.addContext(context);
    try {
      const input = options.readEvent(event);
      settings ??= backupSettingsFromEnv(deps.env);
      const store = catalogStoreOf(clients, settings);
      return await run(input, { settings, store, staging: catalogStaging(store) }, context);
    } catch (error) {
      if (options.failureMetric) metrics?.addMetric(options.failureMetric, MetricUnit.Count, 1);
      logger.error(options.failureMessage, error instanceof Error ? error : String(error));
      throw error;
    } finally {
      metrics?.publishStoredMetrics();
    }
  };
}

/** The `recoveryPointId` of a backup step's event (`{ "recoveryPointId": "rp-…" }`, as Capture returns it). */
export function recoveryPointIdOf(event: unknown): string {
  const value =
    event !== null && typeof event === 'object'
      ? (event as Record<string, unknown>).recoveryPointId
      : undefined;
  if (typeof value === 'string' && recoveryPointIdSchema.safeParse(value).success) return value;
  throw new BackupEventError(
    'The event must be {"recoveryPointId": "rp-…"} with the id the Capture step returned; ' +
      `got ${value === undefined ? 'no recoveryPointId' : `recoveryPointId ${JSON.stringify(value).slice(0, 80)}`}.`,
  );
}

/** The DR catalog the settings name, written with their KMS key. */
export function catalogStoreOf(clients: AwsClients, settings: BackupSettings): CatalogStore {
  return catalogStoreFor(clients, {
    region: settings.config.drRegion,
    bucket: settings.bucket,
    ...(settings.kmsKeyId ? { kmsKeyId: settings.kmsKeyId } : {}),
  });
}

/** What retention runs with in a backup step: the catalog, its pins and its retired records. */
export function retentionDepsOf(
  clients: AwsClients,
  settings: Pick<BackupSettings, 'config' | 'bucket' | 'kmsKeyId'>,
  store: CatalogStore,
  opts: { readonly log?: Logger; readonly now?: () => Date } = {},
): RetentionDeps {
  const s3 = clients.s3(settings.config.drRegion);
  const kms = settings.kmsKeyId ? { kmsKeyId: settings.kmsKeyId } : {};
  return {
    clients,
    config: settings.config,
    store,
    pins: new PinStore(s3, settings.bucket, kms),
    retired: new RetiredRecords(s3, settings.bucket, kms),
    ...opts,
  };
}
