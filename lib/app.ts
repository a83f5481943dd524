import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../src/config/errors';
import { CONFIG_CONTEXT_KEY, type LifeboatConfig, parseConfig } from '../src/config/schema';
import { BACKUP_STACK_ID, RECOVERY_STACK_ID } from './names';
import { BackupStack } from './stacks/backup-stack';
import { RecoveryStack } from './stacks/recovery-stack';

export interface LifeboatStacks {
  /** DR region: catalog, volume key, restore workflow and report topic. */
  readonly recovery: RecoveryStack;
  /** Primary region: the scheduled backup workflow. */
  readonly backup: BackupStack;
}

/**
 * Reads and validates the configuration from the app context (`lifeboat` in cdk.json, or
 * `-c lifeboat='{…}'` on the command line). Throws a ConfigError naming the bad key.
 */
export function configFromContext(app: App): LifeboatConfig {
  const raw: unknown = app.node.tryGetContext(CONFIG_CONTEXT_KEY);
  if (raw === undefined) {
    throw new ConfigError(
      `Invalid Lifeboat configuration:\n  ${CONFIG_CONTEXT_KEY}: is required; add a "${CONFIG_CONTEXT_KEY}" object to "context" in cdk.json (account, primaryRegion, drRegion, …)`,
      CONFIG_CONTEXT_KEY,
    );
  }
  if (typeof raw === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      throw new ConfigError(
        `Invalid Lifeboat configuration:\n  ${CONFIG_CONTEXT_KEY}: the context value is not JSON (${(error as Error).message}); pass -c ${CONFIG_CONTEXT_KEY}='{"account":"…",…}'`,
        CONFIG_CONTEXT_KEY,
      );
    }
    return parseConfig(parsed);
  }
  return parseConfig(raw);
}

/**
 * Adds both Lifeboat stacks to `app` and checks them with cdk-nag (AwsSolutions pack) at synth.
 * The stacks take account and regions from the configuration only (no lookups), so the app
 * synthesises offline.
 */
export function buildApp(app: App, config: LifeboatConfig): LifeboatStacks {
  const recovery = new RecoveryStack(app, RECOVERY_STACK_ID, { config });
  const backup = new BackupStack(app, BACKUP_STACK_ID, { config });
  backup.addStackDependency(
    recovery,
    'the backup writes recovery points to the catalog and copies snapshots with the volume key in the DR region',
  );
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { recovery, backup };
}
