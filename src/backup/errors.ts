import { LifeboatError } from '../kernel/errors';

/** A backup step was invoked with an event that does not name a recovery point. */
export class BackupEventError extends LifeboatError {
  constructor(message: string) {
    super(message);
    this.name = 'BackupEventError';
  }
}

/** A staged part of a running backup is missing or not valid. */
export class StagingError extends LifeboatError {
  constructor(
    message: string,
    public readonly recoveryPointId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StagingError';
  }
}

/** What the backup selection was and what the capture found (see `NothingToBackUpError`). */
export interface EmptySelection {
  /** Primary region the fleet was listed in. */
  readonly region: string;
  /** `lifeboat.selection` of the configuration. */
  readonly selection: {
    readonly tags: Readonly<Record<string, string>>;
    readonly include: readonly string[];
    readonly exclude: readonly string[];
  };
  readonly clustersListed: number;
  readonly servicesListed: number;
  /** Clusters or services that could not be listed or described ("resourceId: message"). */
  readonly failures: readonly string[];
}

/**
 * The capture selected no ECS service: there is nothing to back up, so no recovery point is
 * committed (an empty one would count as a complete backup for the RPO, yet no restore can use it).
 */
export class NothingToBackUpError extends LifeboatError {
  readonly region: string;
  readonly selection: EmptySelection['selection'];
  readonly clustersListed: number;
  readonly servicesListed: number;
  readonly failures: readonly string[];

  constructor(found: EmptySelection) {
    const { region, selection, clustersListed, servicesListed, failures } = found;
    const tags = Object.entries(selection.tags).map(([key, value]) => `${key}=${value}`);
    const criteria = [
      `tags ${tags.length > 0 ? JSON.stringify(selection.tags) : '{} (any)'}`,
      `include ${JSON.stringify(selection.include)}`,
      `exclude ${JSON.stringify(selection.exclude)}`,
    ].join(', ');
    const listed =
      servicesListed === 0
        ? `${clustersListed === 0 ? 'no ECS cluster was found' : `${plural(clustersListed, 'cluster')} listed, with no service in them`}`
        : `${plural(servicesListed, 'service')} in ${plural(clustersListed, 'cluster')} listed, none selected`;
    const failed =
      failures.length > 0
        ? ` ${plural(failures.length, 'cluster or service', 'clusters or services')} could not be listed or described (${failures.slice(0, 3).join('; ')}${failures.length > 3 ? '; …' : ''}).`
        : '';
    const fix =
      tags.length > 0
        ? `Tag the services to protect (or their cluster) with ${tags.join(' and ')}, or change "selection" in the configuration ("tags", "include", "exclude")`
        : 'Change "selection" in the configuration ("include", "exclude")';
    super(
      `No ECS service in ${region} matches the backup selection (lifeboat.selection: ${criteria}): ${listed}.${failed} ` +
        `Nothing was backed up and no recovery point was committed. ${fix}, then run \`lifeboat backup\` again.`,
    );
    this.name = 'NothingToBackUpError';
    this.region = region;
    this.selection = selection;
    this.clustersListed = clustersListed;
    this.servicesListed = servicesListed;
    this.failures = failures;
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
