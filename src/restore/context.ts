import type { AwsClients } from '../aws/clients';
import { type HolderEnded, LeaseStore, stepFunctionsHolderEnded } from '../catalog/aws/lease';
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
  /** The failover lease: one execution at a time changes the DR region. */
  readonly lease: LeaseStore;
  /** Whether the execution holding the lease has ended (Step Functions, or the local runner). */
  readonly holderEnded: HolderEnded;
  readonly topicArn?: string;
  /**
   * The catalog's KMS key (alias or ARN, DR region): the only key the service step decrypts
   * sealed environment values with. @default - the key each ciphertext names
   */
  readonly catalogKmsKeyId?: string;
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
  /** @default - asks Step Functions in the DR region (DescribeExecution) */
  readonly holderEnded?: HolderEnded;
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
    lease: new LeaseStore(clients.s3(region), settings.bucket, kms),
    holderEnded: opts.holderEnded ?? stepFunctionsHolderEnded(clients.sfn(region)),
    ...(settings.topicArn ? { topicArn: settings.topicArn } : {}),
    ...(settings.kmsKeyId ? { catalogKmsKeyId: settings.kmsKeyId } : {}),
    volumeKmsKeyId: settings.volumeKmsKeyId ?? VOLUME_KEY_ALIAS,
    now: opts.now ?? (() => new Date()),
    sleep: opts.sleep ?? sleep,
    ...(opts.log ? { log: opts.log } : {}),
  };
}
