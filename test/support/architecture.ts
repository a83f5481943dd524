import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * The layout rules of the source tree, checked over the files' import graph:
 *
 * - SDK packages (`@aws-sdk/*`, `@smithy/*`) are imported only inside `aws/` folders
 *   (`src/aws` is the client factory, `src/<subject>/aws/` a subject's adapters). Three kinds
 *   of module are exempt by what they are: a Lambda entry registers the client classes its
 *   bundle carries; the emulator's local engine answers `aws-sdk:` tasks of any service; the
 *   demo seeds the emulator's fleet.
 * - CDK packages are imported only by `lib/`, `bin/` and the CLI's runners (which render the
 *   definitions the local engine runs).
 * - Floors go one way: kernel → aws → config/catalog → subjects → wings → lambda/cli. A
 *   module imports its own unit or a lower floor; units of one floor may use one another in one
 *   direction only (no cycle between units); wings never import each other. The CLI alone may
 *   read `lib/` (its runners render the definitions the local engine runs).
 * - `lib/` is infrastructure: it reads kernel, config, catalog and the subjects' pure modules,
 *   never an `aws/` adapter, a wing, the CLI, the emulator, the demo or a Lambda entry.
 * - No import cycle between files, nor between units.
 * - An error class (`class …Error extends …`) lives in its folder's `errors.ts` and descends from
 *   the project's base `LifeboatError`.
 */
export interface Violation {
  readonly rule:
    | 'sdk-outside-adapter'
    | 'cdk-outside-infrastructure'
    | 'floor'
    | 'lib'
    | 'cycle'
    | 'error-class';
  readonly file: string;
  readonly detail: string;
}

/** Floors of the units under `src/` (the first folder; `volumes/<kind>` is its own unit). */
const FLOORS: Readonly<Record<string, number>> = {
  kernel: 0,
  aws: 1,
  emulator: 2,
  config: 2,
  catalog: 2,
  fleet: 3,
  images: 3,
  'volumes/ebs': 3,
  'volumes/efs': 3,
  backup: 4,
  restore: 4,
  demo: 4,
  lambda: 5,
  cli: 5,
};

/** Floors whose units must not import each other (the wings, and the demo beside them). */
const ISOLATED_FLOORS = new Set([4]);

/** Units whose modules may import the SDK outside an `aws/` folder (see above). */
const SDK_EXEMPT = new Set(['lambda', 'emulator', 'demo']);

/** Units `lib/` may read. */
const LIB_READS = new Set(['kernel', 'config', 'catalog', 'fleet', 'images', 'volumes/ebs', 'volumes/efs']);

const SDK = /^@(aws-sdk|smithy)\//;
const CDK = /^(aws-cdk-lib|constructs|cdk-nag)(\/|$)/;

/** The unit a repository path belongs to (`src/volumes/ebs/aws/x.ts` → `volumes/ebs`), or its top folder. */
export function unitOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] !== 'src') return parts[0] ?? file;
  if (parts[1] === 'volumes' && parts.length > 3) return `volumes/${parts[2]}`;
  return parts[1] ?? file;
}

function inAdapterFolder(file: string): boolean {
  const dirs = file.split('/').slice(0, -1);
  return dirs[0] === 'src' && dirs.includes('aws');
}

function resolveImport(from: string, spec: string, files: ReadonlySet<string>): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`])
    if (files.has(candidate)) return candidate;
  return undefined;
}

/** Every module a file imports (static, dynamic, `require`, `export … from`), as written. */
export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

function checkImport(file: string, target: string): Violation | undefined {
  const from = unitOf(file);
  const to = unitOf(target);
  if (from === to) return undefined;
  if (from === 'lib') {
    if (to === 'lib') return undefined;
    if (!LIB_READS.has(to) || inAdapterFolder(target)) {
      return {
        rule: 'lib',
        file,
        detail: `lib/ imports ${target}: infrastructure reads only ${[...LIB_READS].join(', ')} (no aws/ adapter)`,
      };
    }
    return undefined;
  }
  if (from === 'bin' || (from === 'cli' && to === 'lib')) return undefined;
  const fromFloor = FLOORS[from];
  const toFloor = FLOORS[to];
  if (fromFloor === undefined || toFloor === undefined) {
    return {
      rule: 'floor',
      file,
      detail: `imports ${target}: unit "${to}" has no floor (add it to the layout rules)`,
    };
  }
  if (toFloor > fromFloor) {
    return {
      rule: 'floor',
      file,
      detail: `imports ${target}: ${from} (floor ${fromFloor}) may not climb to ${to} (floor ${toFloor})`,
    };
  }
  if (toFloor === fromFloor && ISOLATED_FLOORS.has(fromFloor)) {
    return {
      rule: 'floor',
      file,
      detail: `imports ${target}: ${from} and ${to} stand on one floor and never import each other`,
    };
  }
  if (toFloor === fromFloor && from === 'lambda') {
    return { rule: 'floor', file, detail: `imports ${target}: a Lambda entry never imports the CLI` };
  }
  return undefined;
}

function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's strongly connected components; a component of two or more files is a cycle.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, indices.get(w) as number));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v);
  return cycles;
}

const ERROR_CLASS = /\bclass\s+(\w+)\s+extends\s+([\w.]+)/g;

function checkErrorClasses(files: Readonly<Record<string, string>>): Violation[] {
  const bases = new Map<string, { base: string; file: string }>();
  for (const [file, source] of Object.entries(files)) {
    for (const match of source.matchAll(ERROR_CLASS)) {
      const [, name, base] = match as unknown as [string, string, string];
      if (name.endsWith('Error') || base.endsWith('Error')) bases.set(name, { base, file });
    }
  }
  const violations: Violation[] = [];
  for (const [name, { base, file }] of bases) {
    if (path.posix.basename(file) !== 'errors.ts') {
      violations.push({
        rule: 'error-class',
        file,
        detail: `${name} is declared outside its folder's errors.ts`,
      });
    }
    let current = base;
    const seen = new Set([name]);
    while (current !== 'LifeboatError' && bases.has(current) && !seen.has(current)) {
      seen.add(current);
      current = (bases.get(current) as { base: string }).base;
    }
    if (current !== 'LifeboatError' && name !== 'LifeboatError') {
      violations.push({
        rule: 'error-class',
        file,
        detail: `${name} does not descend from LifeboatError (its chain ends at ${current})`,
      });
    }
  }
  return violations;
}

/** Checks the layout rules over `files` (repository path → source). */
export function checkArchitecture(files: Readonly<Record<string, string>>): Violation[] {
  const paths = new Set(Object.keys(files));
  const violations: Violation[] = [];
  const graph = new Map<string, string[]>();
  for (const [file, source] of Object.entries(files)) {
    const edges: string[] = [];
    for (const spec of importsOf(source)) {
      if (SDK.test(spec) && !inAdapterFolder(file) && !SDK_EXEMPT.has(unitOf(file))) {
        violations.push({
          rule: 'sdk-outside-adapter',
          file,
          detail: `imports ${spec} outside an aws/ folder`,
        });
      }
      if (CDK.test(spec) && !['lib', 'bin'].includes(unitOf(file)) && !file.startsWith('src/cli/runners/')) {
        violations.push({
          rule: 'cdk-outside-infrastructure',
          file,
          detail: `imports ${spec} outside lib/, bin/ and the CLI's runners`,
        });
      }
      const target = resolveImport(file, spec, paths);
      if (target === undefined) continue;
      edges.push(target);
      const violation = checkImport(file, target);
      if (violation) violations.push(violation);
    }
    graph.set(file, edges);
  }
  for (const cycle of findCycles(graph)) {
    violations.push({
      rule: 'cycle',
      file: cycle[0] as string,
      detail: `import cycle: ${cycle.join(' → ')}`,
    });
  }
  const units = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const edges = units.get(unitOf(file)) ?? new Set<string>();
    for (const target of targets) if (unitOf(target) !== unitOf(file)) edges.add(unitOf(target));
    units.set(unitOf(file), edges);
  }
  for (const cycle of findCycles(new Map([...units].map(([unit, edges]) => [unit, [...edges]])))) {
    violations.push({
      rule: 'cycle',
      file: cycle[0] as string,
      detail: `units import each other: ${cycle.join(' ↔ ')}`,
    });
  }
  violations.push(...checkErrorClasses(files));
  return violations;
}

/** The TypeScript sources of the product (`src/`, `lib/`, `lambda/`, `bin/`) under `root`. */
export function readSourceTree(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        files[rel] = readFileSync(path.join(root, rel), 'utf8');
      }
    }
  };
  for (const top of ['src', 'lib', 'lambda', 'bin']) walk(top);
  return files;
}
