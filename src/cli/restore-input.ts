import { InvalidRestoreInputError } from '../restore/errors';
import { parseRestoreInput, type RestoreInput, type RestoreInputRequest } from '../restore/input';

/**
 * The restore-input flags of `lifeboat plan` and `lifeboat failover`, as Commander parses them.
 * `undefined` means "not given": the --input document's field (or the workflow's default) applies.
 */
export interface RestoreFlags {
  readonly recoveryPoint?: string;
  readonly services?: readonly string[];
  readonly exclude?: readonly string[];
  readonly desiredCountPercent?: number;
  readonly allowPartial?: boolean;
  readonly promoteFileSystems?: boolean;
  readonly continueOnWaveFailure?: boolean;
  readonly adopt?: readonly string[];
  /** `--no-wait` sets it false; Commander's default true means "not given". */
  readonly wait?: boolean;
  /** `--steady-state-timeout <minutes>`. */
  readonly steadyStateTimeout?: number;
  readonly comment?: string;
}

/**
 * Reads the text of an `--input` document: a JSON object as the Step Functions console takes it.
 * Throws InvalidRestoreInputError (exit 2) naming `source` when it is not JSON.
 */
export function parseInputDocument(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidRestoreInputError(
      `Invalid restore input in ${source} (nothing was changed): it is not JSON (${(error as Error).message}); ` +
        'it must be a JSON object such as {"recoveryPoint": "latest", "services": ["shop/*"]}.',
      '(root)',
    );
  }
}

/**
 * The failover's workflow input, not yet validated: the fields of the `--input` document
 * (`undefined` without one), overridden by every flag given on the command line; `dryRun` is
 * always false (a document's `dryRun` is ignored: `plan` never starts the workflow, `failover`
 * always fails over). A document that is not an object is returned as is, for parseRestoreInput
 * to refuse.
 */
export function failoverInputRequest(document: unknown, flags: RestoreFlags): unknown {
  if (
    document !== undefined &&
    (document === null || typeof document !== 'object' || Array.isArray(document))
  ) {
    return document;
  }
  const fields: Record<string, unknown> = { ...((document as Record<string, unknown> | undefined) ?? {}) };
  const set = (key: keyof RestoreInputRequest, value: unknown): void => {
    if (value !== undefined) fields[key] = Array.isArray(value) ? [...value] : value;
  };
  set('recoveryPoint', flags.recoveryPoint);
  set('services', flags.services);
  set('exclude', flags.exclude);
  set('desiredCountPercent', flags.desiredCountPercent);
  if (flags.allowPartial === true) fields.allowPartial = true;
  if (flags.promoteFileSystems === true) fields.promoteFileSystems = true;
  if (flags.continueOnWaveFailure === true) fields.continueOnWaveFailure = true;
  set('adopt', flags.adopt);
  if (flags.wait === false) fields.waitForSteadyState = false;
  set('steadyStateTimeoutMinutes', flags.steadyStateTimeout);
  if (flags.comment !== undefined) {
    fields.comment = flags.comment;
    delete fields.Comment;
  }
  fields.dryRun = false;
  return fields;
}

/**
 * The one workflow input of a `plan` or `failover` command line: failoverInputRequest, validated
 * and with the defaults filled in (InvalidRestoreInputError, exit 2, naming each bad field).
 */
export function restoreInputOf(document: unknown, flags: RestoreFlags): RestoreInput {
  return parseRestoreInput(failoverInputRequest(document, flags));
}
