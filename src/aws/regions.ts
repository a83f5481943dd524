import { partition } from '@aws-sdk/core/client';

/** Syntax of an AWS region name (any partition). */
export const REGION_SYNTAX = /^[a-z]{2,4}(-gov|-iso[a-z]?|-[a-z]{2})?-[a-z]+-\d+$/;

/** True when the SDK's partition table (the one it resolves endpoints with) names this region. */
export function isKnownRegion(name: string): boolean {
  // The lookup adds the region's own entry (its description) only for a region it names.
  return (partition(name) as { readonly description?: string }).description !== undefined;
}

const PREFIXES = [
  'us',
  'eu',
  'ap',
  'sa',
  'ca',
  'me',
  'af',
  'il',
  'mx',
  'cn',
  'us-gov',
  'us-iso',
  'us-isob',
  'us-isof',
  'eu-isoe',
  'eusc-de',
];
const DIRECTIONS = [
  'east',
  'west',
  'north',
  'south',
  'central',
  'northeast',
  'northwest',
  'southeast',
  'southwest',
];

let known: readonly string[] | undefined;

/**
 * The regions the SDK's partition table names. The SDK exports a lookup, not the list, so the list is
 * the region-shaped names the lookup recognises.
 */
export function knownRegions(): readonly string[] {
  if (known === undefined) {
    const names: string[] = [];
    for (const prefix of PREFIXES) {
      for (const direction of DIRECTIONS) {
        for (let n = 1; n <= 9; n++) {
          const name = `${prefix}-${direction}-${n}`;
          if (isKnownRegion(name)) names.push(name);
        }
      }
    }
    known = names;
  }
  return known;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known region nearest to `name` by edit distance (at most 4 edits away), if any. */
export function nearestRegion(name: string): string | undefined {
  let best: { region: string; distance: number } | undefined;
  for (const region of knownRegions()) {
    const distance = editDistance(name, region);
    if (distance <= 4 && (best === undefined || distance < best.distance)) best = { region, distance };
  }
  return best?.region;
}

/**
 * Why `name` is not a region to use, or undefined when it is one: not region-shaped, or not in the
 * SDK's partition table (then with the nearest known region).
 */
export function regionProblem(name: string): string | undefined {
  if (isKnownRegion(name)) return undefined;
  const nearest = nearestRegion(name);
  if (nearest === undefined) return `must be an AWS region name such as us-west-2 ("${name}" is not one).`;
  const what = REGION_SYNTAX.test(name) ? 'an AWS region' : 'an AWS region name';
  return `"${name}" is not ${what}; did you mean ${nearest}?`;
}
