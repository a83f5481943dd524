import { stripNulls, TASK_DEFINITION_READ_ONLY_FIELDS } from './sanitise';

/**
 * Whether a task definition revision ECS already holds is the one a restore would register.
 * Pure: no SDK import, no I/O.
 *
 * Both sides are brought to one canonical form, the RegisterTaskDefinition input shape with
 * ECS's documented defaults written out, and then compared member by member. A member the
 * described revision has that is not a default with its default value (`privileged: true`, a
 * `command`, an extra environment variable, another image digest, another role) makes the two
 * differ, so the restore registers a revision of its own instead of running one it did not make.
 *
 * The canonical form, and why each rule is there (ECS API reference and what ECS echoes in
 * DescribeTaskDefinition; the emulator echoes the same):
 * - Response-only members (`TASK_DEFINITION_READ_ONLY_FIELDS`: ARN, revision, status,
 *   requiresAttributes, compatibilities, registration times) are removed: RegisterTaskDefinition
 *   does not take them. `tags` are removed too: they are not part of a revision's content
 *   (TagResource changes them without a new revision).
 * - Null and undefined members are removed (the SDK's way of saying "not set").
 * - Empty arrays and empty objects equal absent: ECS echoes `portMappings`, `environment`,
 *   `environmentFiles`, `mountPoints`, `volumesFrom`, `systemControls`, `volumes` and
 *   `placementConstraints` as `[]` (and a bind mount's `host` as `{}`) when they were not sent.
 * - Task `cpu` and `memory` are strings of CPU units and MiB: the API types them as strings,
 *   accepts `1 vCPU` and `2 GB`, and converts those to units when the revision is registered.
 * - Task `networkMode` absent is `bridge` ("If no network mode is specified, the default is
 *   bridge"), except on Windows, where the absent mode is its own `<default>`.
 * - Container `essential` absent is `true` ("If this parameter is omitted, a container is
 *   assumed to be essential").
 * - Container `cpu` absent is `0`: ECS echoes `cpu: 0` for a container registered without one.
 * - Container `environment` and `secrets` are in name order: ECS does not keep the order they
 *   were sent in (they are sets of names to the container). The sort is stable, so repeated
 *   names keep their relative order and a reordering of those still counts as a change.
 * - Port mapping `protocol` absent is `tcp` (the documented default); `hostPort: 0` is absent
 *   (0 asks for a dynamic port, as leaving it out does); in `awsvpc` and `host` network modes
 *   an absent `hostPort` is the `containerPort` (ECS maps the container port directly and
 *   echoes it as the host port).
 * - EFS volume `rootDirectory` absent is `/` ("Specifying / will have the same effect as
 *   omitting this parameter") and `transitEncryption` absent is `DISABLED` (the documented
 *   default).
 *
 * Nothing else is normalised: any other difference, the order of containers included, means
 * "register a new revision", which costs a revision and never runs something unintended.
 */

/** A task definition's canonical form: compare two with `sameTaskDefinition`. */
export type CanonicalTaskDefinition = Record<string, unknown>;

/**
 * The canonical form of a RegisterTaskDefinition input or of a DescribeTaskDefinition
 * `taskDefinition` (SDK v3 shape). Never mutates its input.
 */
export function canonicalTaskDefinition(taskDefinition: object): CanonicalTaskDefinition {
  const readOnly: ReadonlySet<string> = new Set([...TASK_DEFINITION_READ_ONLY_FIELDS, 'tags']);
  const content = Object.fromEntries(Object.entries(taskDefinition).filter(([k]) => !readOnly.has(k)));
  const td = asRecord(withoutEmpties(stripNulls(content)));

  if (td.cpu !== undefined) td.cpu = taskUnits(td.cpu, /^([\d.]+)\s*vcpu$/i);
  if (td.memory !== undefined) td.memory = taskUnits(td.memory, /^([\d.]+)\s*gb$/i);
  const windows =
    isRecord(td.runtimePlatform) && /^WINDOWS/i.test(String(td.runtimePlatform.operatingSystemFamily));
  if (td.networkMode === undefined && !windows) td.networkMode = 'bridge';
  const directPorts = td.networkMode === 'awsvpc' || td.networkMode === 'host';

  if (Array.isArray(td.containerDefinitions)) {
    td.containerDefinitions = td.containerDefinitions.map((c) => canonicalContainer(c, directPorts));
  }
  if (Array.isArray(td.volumes)) td.volumes = td.volumes.map(canonicalVolume);
  return td;
}

/** True when the two task definitions have the same canonical form (see the module comment). */
export function sameTaskDefinition(a: object, b: object): boolean {
  return deepEqual(canonicalTaskDefinition(a), canonicalTaskDefinition(b));
}

function canonicalContainer(container: unknown, directPorts: boolean): unknown {
  if (!isRecord(container)) return container;
  const c = { ...container };
  c.essential ??= true;
  c.cpu ??= 0;
  if (Array.isArray(c.environment)) c.environment = byName(c.environment);
  if (Array.isArray(c.secrets)) c.secrets = byName(c.secrets);
  if (Array.isArray(c.portMappings)) {
    c.portMappings = c.portMappings.map((pm) => {
      if (!isRecord(pm)) return pm;
      const p = { ...pm };
      p.protocol ??= 'tcp';
      if (p.hostPort === 0) delete p.hostPort;
      if (directPorts && p.hostPort === undefined && p.containerPort !== undefined)
        p.hostPort = p.containerPort;
      return p;
    });
  }
  return c;
}

function canonicalVolume(volume: unknown): unknown {
  if (!isRecord(volume) || !isRecord(volume.efsVolumeConfiguration)) return volume;
  const efs = { ...volume.efsVolumeConfiguration };
  efs.rootDirectory ??= '/';
  efs.transitEncryption ??= 'DISABLED';
  return { ...volume, efsVolumeConfiguration: efs };
}

/** Task cpu or memory as the string of units ECS stores: `1 vCPU` → `1024`, `2 GB` → `2048`, 256 → `256`. */
function taskUnits(value: unknown, scaled: RegExp): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return value;
  const match = scaled.exec(value.trim());
  if (!match) return value.trim();
  const units = Number(match[1]) * 1024;
  return Number.isInteger(units) ? String(units) : value;
}

/** Stable sort by `name` (members without a string name first, in their order). */
function byName(list: readonly unknown[]): unknown[] {
  const nameOf = (v: unknown) => (isRecord(v) && typeof v.name === 'string' ? v.name : '');
  return [...list].sort((a, b) => {
    const x = nameOf(a);
    const y = nameOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Copy without empty arrays and empty objects, deeply (an object left empty is dropped too). */
function withoutEmpties(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(withoutEmpties).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (isRecord(value)) {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, withoutEmpties(v)] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  return value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isRecord(a)) {
    if (!isRecord(b)) return false;
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
    );
  }
  return a === b;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
