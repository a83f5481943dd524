import { describe, expect, it } from 'vitest';
import { NothingToBackUpError } from '../../../src/backup/errors';
import { describeError, ExitCode } from '../../../src/cli/errors';

const DEFAULT_SELECTION = { tags: { 'lifeboat:backup': 'true' }, include: ['*/*'], exclude: [] };

describe('NothingToBackUpError', () => {
  it('names the selection, what was listed and how to fix it', () => {
    const error = new NothingToBackUpError({
      region: 'us-east-1',
      selection: DEFAULT_SELECTION,
      clustersListed: 2,
      servicesListed: 5,
      failures: [],
    });
    expect(error.name).toBe('NothingToBackUpError');
    expect(error.message).toBe(
      'No ECS service in us-east-1 matches the backup selection (lifeboat.selection: tags {"lifeboat:backup":"true"}, include ["*/*"], exclude []): ' +
        '5 services in 2 clusters listed, none selected. Nothing was backed up and no recovery point was committed. ' +
        'Tag the services to protect (or their cluster) with lifeboat:backup=true, or change "selection" in the configuration ("tags", "include", "exclude"), then run `lifeboat backup` again.',
    );
  });

  it('says when there is no cluster, and names the listing failures', () => {
    const error = new NothingToBackUpError({
      region: 'eu-west-1',
      selection: { tags: {}, include: ['shop/*'], exclude: ['shop/tmp'] },
      clustersListed: 0,
      servicesListed: 0,
      failures: ['shop: AccessDenied'],
    });
    expect(error.message).toContain('tags {} (any), include ["shop/*"], exclude ["shop/tmp"]');
    expect(error.message).toContain('no ECS cluster was found.');
    expect(error.message).toContain(
      '1 cluster or service could not be listed or described (shop: AccessDenied)',
    );
    expect(error.message).toContain('Change "selection" in the configuration ("include", "exclude")');
  });

  it('leaves the CLI with exit 1 as an expected failure', () => {
    const error = new NothingToBackUpError({
      region: 'us-east-1',
      selection: DEFAULT_SELECTION,
      clustersListed: 0,
      servicesListed: 0,
      failures: [],
    });
    expect(describeError(error)).toMatchObject({
      exitCode: ExitCode.Failed,
      name: 'NothingToBackUpError',
      expected: true,
    });
  });
});
