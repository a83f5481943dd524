import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LifeboatConfig } from '../../../src/config/schema';
import { isSelected, matchesAny, type SelectionCandidate } from '../../../src/config/selection';

/** Names as ECS allows them (letters, digits, "-" and "_"), plus "." to check it is literal. */
const nameChar = fc.constantFrom(...'abcxyz019-_.'.split(''));
const name = fc.string({ unit: nameChar, minLength: 1, maxLength: 12 });
const globChar = fc.constantFrom(...'abcxyz019-_.*?'.split(''));
const glob = fc.string({ unit: globChar, minLength: 1, maxLength: 12 });

/** Reference semantics: a glob segment as a regular expression over one "/"-free segment. */
function referenceMatch(key: string, pattern: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(key);
}

describe('matchesAny', () => {
  it.each([
    ['shop/web', ['shop/web'], true],
    ['shop/web', ['*/*'], true],
    ['shop/web', ['shop/*'], true],
    ['shop/web', ['*/web'], true],
    ['shop/web', ['sh?p/w*'], true],
    ['shop/web', ['shop/we'], false],
    ['shop/web', ['shop'], false],
    ['shop/web', ['*'], false],
    ['shop/web', ['**'], false],
    ['shop/web', ['shop/web/*'], false],
    ['shop/web', ['payments/*', 'shop/w?b'], true],
    ['shop/web', [], false],
    ['shop/web-canary', ['shop/web'], false],
    ['shop/web.1', ['shop/web?1'], true],
    ['shop/webx1', ['shop/web.1'], false],
    ['shop/', ['shop/*'], true],
    ['a/b', ['a?b'], false],
  ] as const)('matches %s against %j: %s', (key, patterns, expected) => {
    expect(matchesAny(key, patterns)).toBe(expected);
  });

  it('never lets * or ? match "/" (property)', () => {
    fc.assert(
      fc.property(name, name, name, (cluster, middle, service) => {
        expect(matchesAny(`${cluster}/${middle}/${service}`, ['*/*'])).toBe(false);
        expect(matchesAny(`${cluster}/${service}`, ['*'])).toBe(false);
        expect(matchesAny(`${cluster}/${service}`, [`${cluster}?${service}`])).toBe(false);
      }),
    );
  });

  it('matches every "cluster/service" with */* and each name with itself (property)', () => {
    fc.assert(
      fc.property(name, name, (cluster, service) => {
        expect(matchesAny(`${cluster}/${service}`, ['*/*'])).toBe(true);
        expect(matchesAny(`${cluster}/${service}`, [`${cluster}/${service}`])).toBe(true);
        expect(matchesAny(`${cluster}/${service}`, [`${cluster}/*`])).toBe(true);
      }),
    );
  });

  it('agrees with the regular-expression reading of the globs (property)', () => {
    fc.assert(
      fc.property(name, name, glob, glob, (cluster, service, clusterGlob, serviceGlob) => {
        const key = `${cluster}/${service}`;
        const pattern = `${clusterGlob}/${serviceGlob}`;
        expect(matchesAny(key, [pattern])).toBe(referenceMatch(key, pattern));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches a pattern with many stars against a long name quickly', () => {
    const key = `${'a'.repeat(255)}/${'a'.repeat(255)}`;
    const pattern = `${'*a'.repeat(40)}b/*`;
    const started = performance.now();

    expect(matchesAny(key, [pattern])).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

const selection = (overrides: Partial<LifeboatConfig['selection']> = {}): LifeboatConfig['selection'] => ({
  tags: { 'lifeboat:backup': 'true' },
  include: ['*/*'],
  exclude: [],
  ...overrides,
});

const candidate = (overrides: Partial<SelectionCandidate> = {}): SelectionCandidate => ({
  clusterName: 'shop',
  serviceName: 'web',
  tags: [{ key: 'lifeboat:backup', value: 'true' }],
  clusterTags: [],
  ...overrides,
});

describe('isSelected', () => {
  it('selects a tagged service matching an include glob', () => {
    expect(isSelected(candidate(), selection())).toBe(true);
  });

  it('does not select a service outside every include glob', () => {
    expect(isSelected(candidate(), selection({ include: ['payments/*'] }))).toBe(false);
  });

  it('lets exclusion win over inclusion', () => {
    expect(isSelected(candidate(), selection({ include: ['shop/*'], exclude: ['shop/web'] }))).toBe(false);
    expect(isSelected(candidate({ serviceName: 'api' }), selection({ exclude: ['shop/web'] }))).toBe(true);
  });

  it('does not select a service without the selection tag', () => {
    expect(isSelected(candidate({ tags: [] }), selection())).toBe(false);
    expect(isSelected(candidate({ tags: [{ key: 'lifeboat:backup', value: 'True' }] }), selection())).toBe(
      false,
    );
  });

  it('selects a service whose cluster carries the selection tag', () => {
    const selected = candidate({ tags: [], clusterTags: [{ key: 'lifeboat:backup', value: 'true' }] });

    expect(isSelected(selected, selection())).toBe(true);
  });

  it('lets a service opt out of its tagged cluster by setting the tag to another value', () => {
    const optedOut = candidate({
      tags: [{ key: 'lifeboat:backup', value: 'false' }],
      clusterTags: [{ key: 'lifeboat:backup', value: 'true' }],
    });

    expect(isSelected(optedOut, selection())).toBe(false);
  });

  it('requires every selection tag, each from the service or its cluster', () => {
    const tags = { 'lifeboat:backup': 'true', env: 'prod' };
    const split = candidate({
      tags: [{ key: 'lifeboat:backup', value: 'true' }],
      clusterTags: [{ key: 'env', value: 'prod' }],
    });

    expect(isSelected(split, selection({ tags }))).toBe(true);
    expect(isSelected(candidate(), selection({ tags }))).toBe(false);
  });

  it('selects by name alone when the selection has no tags', () => {
    expect(isSelected(candidate({ tags: [] }), selection({ tags: {} }))).toBe(true);
  });

  it('matches a selection tag with an empty value against a tag without a value', () => {
    const untagged = candidate({ tags: [{ key: 'lifeboat:backup' }] });

    expect(isSelected(untagged, selection({ tags: { 'lifeboat:backup': '' } }))).toBe(true);
  });

  it('never selects an excluded service, whatever its tags (property)', () => {
    fc.assert(
      fc.property(name, name, fc.boolean(), fc.boolean(), (cluster, service, ownTag, clusterTag) => {
        const tag = [{ key: 'lifeboat:backup', value: 'true' }];
        const c = candidate({
          clusterName: cluster,
          serviceName: service,
          tags: ownTag ? tag : [],
          clusterTags: clusterTag ? tag : [],
        });

        expect(isSelected(c, selection({ exclude: [`${cluster}/*`] }))).toBe(false);
        expect(isSelected(c, selection())).toBe(ownTag || clusterTag);
      }),
    );
  });
});
