import type { CaptureBench } from './capture';
import type { EmulatorSpeed } from './emulator-speed';
import type { PackagingBench } from './packaging';
import type { RestoreBench } from './restore';

/** What one `npm run bench` produced; a section that did not run says why. */
export interface BenchResults {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: { readonly node: string; readonly cpus: number; readonly loadAverage: number[] };
  readonly emulatorSpeed?: EmulatorSpeed;
  readonly capture?: CaptureBench;
  readonly blockEngine?: Record<string, unknown>;
  readonly restore?: RestoreBench;
  readonly packaging?: PackagingBench;
  readonly skipped: Record<string, string>;
}

export const TARGETS = {
  captureCallRatio: 1.05,
  transitionsPerService: 8,
  bundleBytes: 1.5 * 1024 * 1024,
  coldInitMs: 250,
} as const;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

/** The markdown summary: one row per figure, its same-run baseline, and the target. */
export function renderMarkdown(r: BenchResults): string {
  const rows: string[][] = [];
  const e = r.emulatorSpeed;
  if (e) {
    rows.push([
      'Emulator: trivial call (ECS ListClusters)',
      `${e.listClustersMedianMs} ms median, p95 ${e.listClustersP95Ms} ms; ${e.sequentialCallsPerSecond} calls/s one at a time`,
      `${e.concurrentCallsPerSecond} calls/s ${e.concurrency} at a time`,
      '—',
    ]);
  }
  const c = r.capture;
  if (c) {
    rows.push([
      `Capture: AWS calls (${c.services} services, ${c.taskDefinitions} task definitions)`,
      `${c.totalCalls} (${Object.entries(c.calls)
        .map(([op, n]) => `${op} ${n}`)
        .join(', ')})`,
      `API minimum ${c.minimumTotal}; ratio **${c.callRatio}**`,
      `≤ ${TARGETS.captureCallRatio}: ${verdict(c.callRatio <= TARGETS.captureCallRatio)}`,
    ]);
    rows.push([
      'Capture: wall time',
      `${s(c.wallMs)} (one call in flight: ${s(c.sequentialWallMs)})`,
      `naive sequential per-service: ${s(c.naive.wallMs)}, ${c.naive.calls} calls; **×${c.speedup}**`,
      '—',
    ]);
  }
  const b = r.blockEngine;
  if (b)
    rows.push([
      'Block engine (bench/block-engine.ts)',
      blockSummary(b),
      'bare Get→Put loop, same concurrency (in the cell)',
      '—',
    ]);
  const rs = r.restore;
  if (rs) {
    rows.push([
      `Restore: ${rs.services} services in ${rs.waves} waves (${rs.status}, ${rs.restored} restored)`,
      `${rs.stateTransitions} state transitions = **${rs.transitionsPerService} per service**`,
      `one-service execution: ${rs.singleServiceTransitions} transitions`,
      `≤ ${TARGETS.transitionsPerService}: ${verdict(rs.transitionsPerService <= TARGETS.transitionsPerService)}`,
    ]);
    rows.push([
      'Restore: wall time',
      `${s(rs.wallMs)}; slowest service ${s(rs.slowestServiceMs)} (×${rs.wallToSlowestService})`,
      `one-service execution ${s(rs.singleServiceWallMs)} (×${rs.wallToSingleService})`,
      '—',
    ]);
  }
  const p = r.packaging;
  if (p) {
    for (const bundle of p.bundles) {
      rows.push([
        `Bundle ${bundle.entry}`,
        `${mb(bundle.bytes)}; cold require ${bundle.coldInitMedianMs} ms (${bundle.coldInitNoSourceMapsMedianMs} ms without --enable-source-maps)`,
        `CommonJS SDK builds (esbuild default): ${mb(bundle.cjsFirstBytes)}; \`node -e 0\` ${p.nodeStartMedianMs} ms`,
        `≤ 1.5 MB: ${verdict(bundle.bytes <= TARGETS.bundleBytes)}; ≤ ${TARGETS.coldInitMs} ms: ${verdict(bundle.coldInitMedianMs <= TARGETS.coldInitMs)}`,
      ]);
    }
  }
  for (const [section, why] of Object.entries(r.skipped)) rows.push([section, `skipped: ${why}`, '—', '—']);

  const header = ['Figure', 'Measured', 'Same-run baseline', 'Target'];
  const cellText = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `# Lifeboat benchmark — ${r.startedAt}`,
    '',
    `Node ${r.machine.node}, ${r.machine.cpus} CPUs, load average ${r.machine.loadAverage.map((l) => l.toFixed(1)).join(' ')}; ` +
      `whole run ${r.durationSeconds.toFixed(0)} s. Absolute times on a shared machine are noisy; compare the ratios.`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cellText).join(' | ')} |`),
    '',
  ].join('\n');
}

/** The block engine script's markdown line, its cells joined into one. */
function blockSummary(b: Record<string, unknown>): string {
  const line = b.markdown;
  if (typeof line !== 'string') return JSON.stringify(b).slice(0, 200);
  return line
    .split('|')
    .map((cell) => cell.trim())
    .filter((cell) => cell !== '' && cell !== 'block engine')
    .join('; ');
}
