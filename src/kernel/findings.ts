/**
 * Readiness findings: what the restore planner found about the DR region before touching it.
 * An `error` blocks the service it names (it is not restored); a `warning` restores but
 * needs attention; `info` records a decision the planner made.
 */
export type FindingSeverity = 'error' | 'warning' | 'info';

export interface Finding {
  readonly severity: FindingSeverity;
  /** Stable machine-readable code, e.g. `SUBNET_NOT_MAPPED`. */
  readonly code: string;
  /** The resource the finding is about: an id, ARN, image URI or name. */
  readonly resource: string;
  /** `cluster/service` the finding applies to; absent for recovery-point-wide findings. */
  readonly service?: string;
  readonly message: string;
  /** What the operator does about it. */
  readonly fix: string;
}

const SEVERITY_RANK: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };

/** Code-point order (locale-independent, so plans sort the same everywhere). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders findings by severity, then service, code, resource and message; drops exact repeats. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const sorted = [...findings].sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      compareText(a.service ?? '', b.service ?? '') ||
      compareText(a.code, b.code) ||
      compareText(a.resource, b.resource) ||
      compareText(a.message, b.message),
  );
  return sorted.filter((f, i) => {
    const prev = sorted[i - 1];
    return (
      prev === undefined ||
      prev.severity !== f.severity ||
      prev.service !== f.service ||
      prev.code !== f.code ||
      prev.resource !== f.resource ||
      prev.message !== f.message
    );
  });
}

export function countBySeverity(findings: readonly Finding[]): Record<FindingSeverity, number> {
  const counts: Record<FindingSeverity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}
