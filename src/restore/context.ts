import type { AwsClients } from '../aws/clients';
import { PinStore } from '../catalog/aws/pins';
import { RunStore } from '../catalog/aws/run-store';
import { type CatalogStore, catalogStoreFor } from '../catalog/aws/store';
import { type RestoreConfig, type RestoreSettings, VOLUME_KEY_ALIAS } from '../config/settings';
import type { Logger } from '../kernel/logger';
import { sleep } from '../kernel/sleep';
import { RestoreRuns } from './runs';

/** Everything a restore step works with; built once per Lambda container (or local run). */
export interface RestoreContext {
  readonly clients: AwsClients;
  readonly config: RestoreConfig;
  /** The DR region: where the restore runs and what it changes. */
  readonly region: string;
  readonly catalog: CatalogStore;
  /** Pins of the recovery points restores use (same bucket and key as the catalog). */
  readonly pins: PinStore;
  readonly runs: RestoreRuns;
  readonly topicArn?: string;
  /** KMS key (alias or ARN, DR region) of the standalone EBS volumes the restore creates. */
  readonly volumeKmsKeyId: string;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log?: Logger;
}

export interface RestoreContextOptions {
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: Logger;
}

export function createRestoreContext(
  clients: AwsClients,
  settings: RestoreSettings,
  opts: RestoreContextOptions = {},
): RestoreContext {
  const region = settings.config.drRegion;
  const kms = settings.kmsKeyId ? { kmsKeyId: settings.kmsKeyId } : {};
  return {
    clients,
    config: settings.config,
    region,
    catalog: catalogStoreFor(clients, { region, bucket: settings.bucket, ...kms }),
    pins: new PinStore(clients.s3(region), settings.bucket, kms),
    runs: new RestoreRuns(new RunStore(clients.s3(region), settings.bucket, kms)),
    ...(settings.topicArn ? { topicArn: settings.topicArn } : {}),
    volumeKmsKeyId: settings.volumeKmsKeyId ?? VOLUME_KEY_ALIAS,
    now: opts.now ?? (() => new Date()),
    sleep: opts.sleep ?? sleep,
    ...(opts.log ? { log: opts.log } : {}),
  };
}
