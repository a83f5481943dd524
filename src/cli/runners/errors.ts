import { UsageError } from '../errors';

/** The settings that choose where a stack is looked for, and how to run its workflow without it. */
interface StackLookup {
  /** The configuration key of the stack's region, e.g. `drRegion`. */
  readonly configKey: string;
  /** The option that overrides it, e.g. `--dr-region`. */
  readonly option: string;
  /** What `--endpoint` does instead, e.g. `fail over on this machine`. */
  readonly locally: string;
}

/** A stack is not deployed in its region, or has no output naming its state machine. */
export class StackNotFoundError extends UsageError {
  constructor(
    readonly stackName: string,
    readonly region: string,
    detail: string,
    lookup: StackLookup,
    options?: { cause?: unknown },
  ) {
    super(
      `${detail} Deploy it with \`npx cdk deploy ${stackName}\`, or check "${lookup.configKey}" in the configuration, ${lookup.option} and --profile. ` +
        `To ${lookup.locally} against an emulator instead, pass --endpoint.`,
      options,
    );
    this.name = 'StackNotFoundError';
  }
}

/** The RecoveryStack is not deployed in the DR region (or has no restore workflow output). */
export class RecoveryStackNotFoundError extends StackNotFoundError {
  constructor(stackName: string, region: string, detail: string, options?: { cause?: unknown }) {
    super(
      stackName,
      region,
      detail,
      { configKey: 'drRegion', option: '--dr-region', locally: 'fail over on this machine' },
      options,
    );
    this.name = 'RecoveryStackNotFoundError';
  }
}

/** The BackupStack is not deployed in the primary region (or has no backup workflow output). */
export class BackupStackNotFoundError extends StackNotFoundError {
  constructor(stackName: string, region: string, detail: string, options?: { cause?: unknown }) {
    super(
      stackName,
      region,
      detail,
      { configKey: 'primaryRegion', option: '--primary-region', locally: 'back up on this machine' },
      options,
    );
    this.name = 'BackupStackNotFoundError';
  }
}
