import type { BlockEngineResult, CpuPerBlock } from './block-engine';
import type { CaptureBench } from './capture';
import type { EmulatorSpeed } from './emulator-speed';
import type { PackagingBench } from './packaging';
import type { RestoreBench } from './restore';

/** What one `npm run bench` produced. */
export interface BenchResults {
  readonly startedAt: string;
  readonly durationSeconds: number;
  /** Wall time of each section that ran. */
  readonly sectionSeconds: Record<string, number>;
  readonly machine: {
    readonly node: string;
    readonly cpus: number;
    /** 1, 5 and 15 minute load averages when the run started and when it ended. */
    readonly loadAverageAtStart: number[];
    readonly loadAverage: number[];
  };
  readonly emulatorSpeed?: EmulatorSpeed;
  readonly capture?: CaptureBench;
  /** One run of bench/block-engine.ts per volume size. */
  readonly blockEngine?: BlockEngineResult[];
  readonly restore?: RestoreBench;
  readonly packaging?: PackagingBench;
  /** Sections left out by --only / --skip. */
  readonly notRun: string[];
}

export const TARGETS = {
  captureCallRatio: 1.05,
  engineVsBare: 0.8,
  peakRssMiB: 256,
  /** The largest size's peak RSS may exceed the smallest's by this fraction and still count as flat. */
  rssFlatTolerance: 0.1,
  incrementalSentPerChanged: 1,
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
  for (const b of r.blockEngine ?? []) rows.push(...blockEngineRows(b));
  const sizes = r.blockEngine ?? [];
  if (sizes.length > 1) rows.push(rssFlatRow(sizes));
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
        `${mb(bundle.bytes)}; cold require **${bundle.coldInitMedianMs} ms** (median of ${p.samples}; ${bundle.coldInitNoSourceMapsMedianMs} ms without --enable-source-maps)`,
        `without the SDK schema-key rewrite: ${mb(bundle.withoutRewrite.bytes)}, ${bundle.withoutRewrite.coldInitMedianMs} ms (median of ${p.baselineSamples}); \`node -e 0\` ${p.nodeStartMedianMs} ms`,
        `≤ 1.5 MB: ${verdict(bundle.bytes <= TARGETS.bundleBytes)}; ≤ ${TARGETS.coldInitMs} ms: ${verdict(bundle.coldInitMedianMs <= TARGETS.coldInitMs)}`,
      ]);
    }
  }
  if (r.notRun.length > 0) rows.push([`Not run: ${r.notRun.join(', ')}`, '—', '—', '—']);

  const header = ['Figure', 'Measured', 'Same-run baseline', 'Target'];
  const cellText = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `# Lifeboat benchmark — ${r.startedAt}`,
    '',
    `Node ${r.machine.node}, ${r.machine.cpus} CPUs, load average ${loads(r.machine.loadAverageAtStart)} at the start, ` +
      `${loads(r.machine.loadAverage)} at the end; whole run ${r.durationSeconds.toFixed(0)} s (${Object.entries(
        r.sectionSeconds,
      )
        .map(([name, seconds]) => `${name} ${seconds} s`)
        .join(', ')}). Absolute times on a shared machine are noisy; compare the ratios.`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cellText).join(' | ')} |`),
    '',
  ].join('\n');
}

const loads = (l: readonly number[]) => l.map((n) => n.toFixed(1)).join(' ');

const cpuCell = (c: CpuPerBlock) =>
  `CPU ${c.bench} ms/block in the bench process${
    c.sourceEmulator !== undefined ? `, ${c.sourceEmulator} + ${c.targetEmulator} in the two emulators` : ''
  }`;

/** Throughput against the bare loop, and the incremental copy where the run made one. */
function blockEngineRows(b: BlockEngineResult): string[][] {
  const size = b.volumeMiB >= 1024 ? `${b.volumeMiB / 1024} GiB` : `${b.volumeMiB} MiB`;
  const ceilings = `emulator ceilings: put-only ${b.emulatorLimits.putOnlyMiBps} MiB/s${
    b.emulatorLimits.getOnlyMiBps !== undefined ? `, get-only ${b.emulatorLimits.getOnlyMiBps} MiB/s` : ''
  }`;
  const rows = [
    [
      `Block engine: ${size} full copy, c=${b.concurrency}, ${b.rounds} round(s)`,
      `${b.engine.MiBps} MiB/s (rounds ${b.engine.MiBpsPerRound.join(', ')}); ${cpuCell(b.engine.cpuMsPerBlock)}`,
      `bare Get→Put loop ${b.bareLoop.MiBps} MiB/s (rounds ${b.bareLoop.MiBpsPerRound.join(', ')}); ${cpuCell(
        b.bareLoop.cpuMsPerBlock,
      )}; **×${b.engineVsBare}** (per round ${b.engineVsBarePerRound.map((x) => `×${x}`).join(', ')}); ${ceilings}`,
      `≥ ${TARGETS.engineVsBare}: ${verdict(b.engineVsBare >= TARGETS.engineVsBare)}`,
    ],
  ];
  const inc = b.incremental;
  if (inc) {
    rows.push([
      `Block engine: incremental copy, ${inc.blocksChanged} of ${b.blocks} blocks changed`,
      `${mb(inc.bytesSent)} sent for ${mb(inc.bytesChanged)} changed: **×${inc.sentPerChanged.toFixed(2)}**; ${inc.seconds} s`,
      `full copy: ${mb(b.volumeMiB * 1024 * 1024)}`,
      `${TARGETS.incrementalSentPerChanged.toFixed(2)}: ${verdict(inc.sentPerChanged === TARGETS.incrementalSentPerChanged)}`,
    ]);
  }
  return rows;
}

/** Peak RSS of the engine's process at each size: bounded and flat in the volume size. */
function rssFlatRow(sizes: readonly BlockEngineResult[]): string[] {
  const peaks = sizes.map((b) => b.engine.peakRssMiB);
  const smallest = peaks[0] as number;
  const flat = peaks.every((p) => p <= smallest * (1 + TARGETS.rssFlatTolerance));
  const bounded = peaks.every((p) => p <= TARGETS.peakRssMiB);
  const per = (pick: (b: BlockEngineResult) => number) =>
    sizes.map((b) => `${b.volumeMiB / 1024} GiB ${pick(b)} MiB`).join(', ');
  return [
    'Block engine: peak RSS of the process',
    `${per((b) => b.engine.peakRssMiB)} (at most ${Math.max(...sizes.map((b) => b.engine.peakBlocksInMemory))} blocks held)`,
    `bare loop ${per((b) => b.bareLoop.peakRssMiB)}; before the seed ${per((b) => b.baselineRssMiB)}`,
    `≤ ${TARGETS.peakRssMiB} MiB: ${verdict(bounded)}; flat (largest ≤ smallest + ${TARGETS.rssFlatTolerance * 100}%): ${verdict(flat)}`,
  ];
}
