import { AwsClients, type AwsTarget, CallCounter } from '../aws/clients';
import { ensureLocalSigningKey } from '../catalog/aws/signer';
import { type CatalogStore, catalogStoreFor, ensureCatalogBucket } from '../catalog/aws/store';
import { CatalogBucketNotFoundError } from '../catalog/errors';
import { CATALOG_KEY_ALIAS, CATALOG_SIGNING_KEY_ALIAS, catalogBucketName } from '../catalog/names';
import type { LifeboatConfig } from '../config/schema';
import { isReachable } from '../emulator/moto';
import { callerAccount } from './aws/identity';
import { bucketExists, ensureLocalKey, existingKeyArn } from './aws/local-resources';
import { type LoadedConfig, loadConfig } from './config-source';
import {
  AwsAccessError,
  describeError,
  EndpointUnreachableError,
  ExitCode,
  type ProfileInUse,
} from './errors';
import type { RunningExecution } from './interrupt';
import { type CliIo, Output, type OutputFormat } from './io';

/** Options accepted by every command (before or after the command name). */
export interface GlobalOptions {
  readonly endpoint?: string;
  readonly primaryRegion?: string;
  readonly drRegion?: string;
  readonly config?: string;
  readonly json?: boolean;
  /** `--output`; `--json` is `--output json`. @default 'table' */
  readonly output?: OutputFormat;
  readonly profile?: string;
}

export interface CatalogLocation {
  /** Catalog bucket in the DR region. */
  readonly bucket: string;
  /** KMS key (ARN or alias) that encrypts the recovery points. */
  readonly kmsKeyId: string;
}

/**
 * What one CLI run works with: its output, the validated configuration, and AWS clients
 * that are only built (and checked) when a command first needs them.
 */
export class Session {
  readonly out: Output;
  private loaded: LoadedConfig | undefined;
  private clientsReady: Promise<AwsClients> | undefined;
  private built: AwsClients | undefined;
  private location: Promise<CatalogLocation> | undefined;
  /** AWS API calls made through `clients()`, by operation. */
  readonly calls = new CallCounter();
  /** The workflow execution the command follows now (said when the command is interrupted). */
  running: RunningExecution | undefined;

  /**
   * @param preset.config the configuration to use instead of reading one (the demo builds its own)
   * @param preset.createsCatalog with `--endpoint`, create the catalog bucket and keys when missing: only
   *   for commands that write recovery points or runs (backup, failover, demo); the others find none
   */
  constructor(
    readonly options: GlobalOptions,
    readonly io: CliIo,
    preset: { readonly config?: LoadedConfig; readonly createsCatalog?: boolean } = {},
  ) {
    this.out = new Output(io, options.output ?? (options.json === true ? 'json' : 'table'));
    this.loaded = preset.config;
    this.createsCatalog = preset.createsCatalog === true;
  }

  /** With `--endpoint`: this command may create the catalog bucket and keys (see the constructor). */
  readonly createsCatalog: boolean;

  /** True with `--endpoint`: AWS calls go to an emulator and workflows run on this machine. */
  get local(): boolean {
    return this.options.endpoint !== undefined;
  }

  get config(): LifeboatConfig {
    return this.loadedConfig().config;
  }

  /** The file the configuration came from. */
  get configSource(): string {
    return this.loadedConfig().source;
  }

  get catalogBucket(): string {
    return catalogBucketName(this.config.account, this.config.drRegion);
  }

  /**
   * AWS clients, after checking they can work: with `--endpoint`, that something answers
   * there; otherwise that the credentials are accepted and belong to the configured account.
   */
  clients(): Promise<AwsClients> {
    this.clientsReady ??= this.connect();
    return this.clientsReady;
  }

  /**
   * Where recovery points live: the catalog bucket and the KMS key that encrypts them. With
   * `--endpoint`, the key and the bucket are created there when missing (the RecoveryStack
   * creates them in AWS).
   */
  catalogLocation(): Promise<CatalogLocation> {
    this.location ??= this.locateCatalog();
    return this.location;
  }

  /** The recovery point catalog (see `catalogLocation`). */
  async catalog(): Promise<CatalogStore> {
    const [clients, { bucket, kmsKeyId }] = await Promise.all([this.clients(), this.catalogLocation()]);
    return catalogStoreFor(clients, { region: this.config.drRegion, bucket, kmsKeyId });
  }

  /** Closes pooled connections so the process can exit. */
  dispose(): void {
    this.built?.destroy();
  }

  private async locateCatalog(): Promise<CatalogLocation> {
    const clients = await this.clients();
    const { drRegion } = this.config;
    const bucket = this.catalogBucket;
    if (!this.local) return { bucket, kmsKeyId: CATALOG_KEY_ALIAS };
    if (!this.createsCatalog) {
      // Read-only commands change nothing, also on an emulator: no catalog there is "run a backup first".
      if (!(await bucketExists(clients.s3(drRegion), bucket))) {
        throw new CatalogBucketNotFoundError(bucket);
      }
      return { bucket, kmsKeyId: await existingKeyArn(clients.kms(drRegion), CATALOG_KEY_ALIAS) };
    }
    const kmsKeyId = await ensureLocalKey(clients.kms(drRegion), CATALOG_KEY_ALIAS);
    await ensureLocalSigningKey(clients.kms(drRegion), CATALOG_SIGNING_KEY_ALIAS);
    if (await ensureCatalogBucket(clients.s3(drRegion), bucket, drRegion, { kmsKeyId })) {
      this.out.info(`Created catalog bucket ${bucket} in ${drRegion} on ${this.options.endpoint}.`);
    }
    return { bucket, kmsKeyId };
  }

  private loadedConfig(): LoadedConfig {
    if (this.loaded === undefined) {
      this.loaded = loadConfig({
        configFile: this.options.config,
        primaryRegion: this.options.primaryRegion,
        drRegion: this.options.drRegion,
        cwd: this.io.cwd ?? process.cwd(),
      });
      const note = regionVariableNote(this.io.env, this.loaded.config);
      if (note !== undefined) this.out.warn(note);
    }
    return this.loaded;
  }

  /** The named profile the credentials come from (`--profile`, else `AWS_PROFILE`); none with `--endpoint`. */
  get profileInUse(): ProfileInUse | undefined {
    if (this.local) return undefined;
    if (this.options.profile !== undefined) return { name: this.options.profile, from: '--profile' };
    const fromEnv = this.io.env.AWS_PROFILE;
    return fromEnv ? { name: fromEnv, from: 'AWS_PROFILE' } : undefined;
  }

  private target(): AwsTarget {
    const { endpoint, profile } = this.options;
    return { ...(endpoint !== undefined ? { endpoint } : {}), ...(profile !== undefined ? { profile } : {}) };
  }

  private async connect(): Promise<AwsClients> {
    const { config } = this;
    const { endpoint } = this.options;
    if (endpoint !== undefined) {
      if (!(await isReachable(endpoint))) throw new EndpointUnreachableError(endpoint);
    } else {
      await this.checkCredentials(config);
    }
    this.built = new AwsClients({ ...this.target(), onCall: this.calls.record });
    return this.built;
  }

  /** One STS call with few retries, so missing credentials or no network fail in seconds. */
  private async checkCredentials(config: LifeboatConfig): Promise<void> {
    const probe = new AwsClients({ ...this.target(), maxAttempts: 2 });
    try {
      const account = await callerAccount(probe, config.drRegion);
      if (account !== undefined && account !== config.account) {
        throw new AwsAccessError(
          `The credentials in use belong to account ${account}, but the configuration protects account ${config.account}. ` +
            'Pass --profile <name> for the right account, or fix "account" in the configuration.',
          config.drRegion,
        );
      }
    } catch (error) {
      if (error instanceof AwsAccessError) throw error;
      const outcome = describeError(error, { profile: this.profileInUse });
      if (outcome.exitCode !== ExitCode.Unreachable) throw error;
      throw new AwsAccessError(outcome.message, config.drRegion, { cause: error });
    } finally {
      probe.destroy();
    }
  }
}

/**
 * Lifeboat works in two regions, both from the configuration (or --primary-region and
 * --dr-region), so `AWS_REGION` / `AWS_DEFAULT_REGION` choose neither; a value that is neither
 * of them is said, since whoever set it may expect this run to act there.
 */
export function regionVariableNote(
  env: Readonly<Record<string, string | undefined>>,
  config: Pick<LifeboatConfig, 'primaryRegion' | 'drRegion'>,
): string | undefined {
  const variable = env.AWS_REGION ? 'AWS_REGION' : env.AWS_DEFAULT_REGION ? 'AWS_DEFAULT_REGION' : undefined;
  const value = variable === undefined ? undefined : env[variable];
  if (value === undefined || value === config.primaryRegion || value === config.drRegion) return undefined;
  return (
    `${variable}=${value} is neither the primary region (${config.primaryRegion}) nor the DR region (${config.drRegion}) of this configuration; ` +
    'Lifeboat uses those two. Choose others with --primary-region and --dr-region.'
  );
}
