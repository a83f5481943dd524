import type { LifeboatConfig } from './schema';

/**
 * Which services Lifeboat protects. Services are named "cluster/service"; patterns are globs
 * where `*` matches any run of characters and `?` one character, neither ever crossing "/",
 * so a pattern has as many "/"-separated segments as the names it matches. Every other
 * character matches itself.
 */

/** A tag as ECS describes it (SDK v3 shape: both members optional). */
export interface SelectionTag {
  readonly key?: string | undefined;
  readonly value?: string | undefined;
}

export interface SelectionCandidate {
  readonly clusterName: string;
  readonly serviceName: string;
  readonly tags: readonly SelectionTag[];
  readonly clusterTags: readonly SelectionTag[];
}

/** True when `key` ("cluster/service") matches at least one glob in `patterns`. */
export function matchesAny(key: string, patterns: readonly string[]): boolean {
  const keySegments = key.split('/');
  return patterns.some((pattern) => {
    const patternSegments = pattern.split('/');
    return (
      patternSegments.length === keySegments.length &&
      patternSegments.every((p, i) => matchesSegment(keySegments[i] ?? '', p))
    );
  });
}

/**
 * Selected = its key matches an `include` glob, matches no `exclude` glob (exclusion wins),
 * and carries every `selection.tags` entry (none required when that map is empty). A tag
 * counts when the service has it; a service without that tag key inherits its cluster's
 * value, while a service that sets the key to another value opts out (e.g. a cluster tagged
 * `lifeboat:backup=true` with one service tagged `lifeboat:backup=false`).
 */
export function isSelected(candidate: SelectionCandidate, selection: LifeboatConfig['selection']): boolean {
  const key = `${candidate.clusterName}/${candidate.serviceName}`;
  if (!matchesAny(key, selection.include) || matchesAny(key, selection.exclude)) return false;
  return Object.entries(selection.tags).every(([tagKey, wanted]) => {
    const own = candidate.tags.find((t) => t.key === tagKey);
    const effective = own ?? candidate.clusterTags.find((t) => t.key === tagKey);
    return effective !== undefined && (effective.value ?? '') === wanted;
  });
}

/**
 * Glob match of one "/"-free segment: linear two-pointer scan that backtracks only to the
 * last `*`, so no pattern can make it slow (unlike a regular expression with many stars).
 */
function matchesSegment(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '?' || (pc !== undefined && pc !== '*' && pc === text[t])) {
      t += 1;
      p += 1;
    } else if (pc === '*') {
      starP = p;
      starT = t;
      p += 1;
    } else if (starP >= 0) {
      starT += 1;
      t = starT;
      p = starP + 1;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}
