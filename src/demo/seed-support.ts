import { SeedError } from './errors';

/** Records what a seeding run created, so a re-run can prove it created nothing. */
export class SeedLedger {
  private readonly entries: string[] = [];

  /** `kind:region:id`, e.g. `ecs:service:us-east-1:shop/web`. */
  created(entry: string): void {
    this.entries.push(entry);
  }

  list(): string[] {
    return [...this.entries];
  }
}

/** Returns `value`, or throws a SeedError naming what the API response lacked. */
export function required<T>(value: T | undefined | null, what: string, region?: string): T {
  if (value === undefined || value === null) {
    throw new SeedError(
      `The ${what} is missing from the API response${region ? ` in ${region}` : ''}.`,
      region,
    );
  }
  return value;
}
