import type { RegisterTaskDefinitionInputRecord } from '../../catalog/manifest';
import { compareText, type Finding } from '../../kernel/findings';
import {
  eachRecord,
  isRecord,
  type Json,
  lookup,
  type RetargetChange,
  RetargetSession,
  recordsAt,
} from './refs';
import { retargetEfsVolume } from './task-definition/efs';
import { retargetEnvironment } from './task-definition/environment';
import { retargetImages } from './task-definition/images';
import { retargetLogs } from './task-definition/logs';
import type {
  ContainerRule,
  PendingAccessPoint,
  RetargetContext,
  TaskDefinitionRetarget,
  VolumeRule,
} from './task-definition/rule';
import { retargetSecrets } from './task-definition/secrets';

export interface RetargetResult {
  /** The register input for the DR region. */
  readonly registerInput: RegisterTaskDefinitionInputRecord;
  /** Every member rewritten, by path (`containerDefinitions[0].image`). */
  readonly changes: RetargetChange[];
  /** Readiness findings, without `service` (the planner adds it). */
  readonly findings: Omit<Finding, 'service'>[];
  /** CloudWatch log groups the tasks write to in the DR region (must exist). */
  readonly logGroups: string[];
  /** IAM roles the task definition names (the restore's iam:PassRole must allow them). */
  readonly roles: string[];
  /** DR image URIs the containers run (after the rewrite). */
  readonly images: string[];
  /** EFS file systems used: source → DR id (the DR replica must be failed over first). */
  readonly efsFileSystems: { sourceFileSystemId: string; drFileSystemId: string }[];
  /**
   * Access points to create on the DR file system before registering; the register input
   * still names the source ids: substitute them with `applyAccessPointIds`.
   */
  readonly pendingAccessPoints: PendingAccessPoint[];
}

/** The rules for each container definition, in the order they run (changes are recorded in it). */
const CONTAINER_RULES: readonly ContainerRule[] = [
  retargetImages,
  retargetSecrets,
  retargetEnvironment,
  retargetLogs,
];

/** The rules for each task volume. */
const VOLUME_RULES: readonly VolumeRule[] = [retargetEfsVolume];

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareText);
}

/**
 * Rewrites a recovery point's register input for the DR region (see DESIGN.md
 * "Retargeting a task definition"):
 * - ECR images of the fleet's account in the primary region → the DR registry by digest
 *   (the recovery point's `images[].drUri`), with a finding for missing/unverified/external;
 * - `awslogs-region` (and FireLens `region`) → DR region, collecting the log groups;
 * - secrets, `secretOptions`, `repositoryCredentials` → DR replicas (mapping, else the
 *   region rule), checked against the DR inventory; SSM parameter names stay;
 * - environment files / FireLens config files on S3 → mapping or a warning;
 * - EFS file systems and access points → their DR counterparts;
 * - `AWS_REGION` / `AWS_DEFAULT_REGION` variables set to the primary region → DR region;
 * - execution and task roles stay (IAM is global) and are collected.
 * Anything else still naming the primary region is reported. Never throws; idempotent.
 */
export function retargetTaskDefinition(
  input: RegisterTaskDefinitionInputRecord,
  ctx: RetargetContext,
): RetargetResult {
  const td = structuredClone(input) as Json;
  const retarget: TaskDefinitionRetarget = {
    ctx,
    session: new RetargetSession(ctx),
    imagesByUri: new Map(ctx.images.map((image) => [image.sourceUri, image])),
    images: new Set<string>(),
    fileSystems: new Map<string, string>(),
    pendingAccessPoints: new Map<string, PendingAccessPoint>(),
  };
  eachRecord(td, 'containerDefinitions', (container, i) => {
    for (const rule of CONTAINER_RULES) rule(container, `containerDefinitions[${i}]`, retarget);
  });
  eachRecord(td, 'volumes', (volume, i) => {
    for (const rule of VOLUME_RULES) rule(volume, `volumes[${i}]`, retarget);
  });
  const { session } = retarget;
  session.collectRole(td.executionRoleArn);
  session.collectRole(td.taskRoleArn);
  session.moveRemainingReferences(td, '');

  return {
    registerInput: td as RegisterTaskDefinitionInputRecord,
    changes: session.changes,
    findings: session.findings,
    logGroups: sorted(session.logGroups),
    roles: sorted(session.roles),
    images: sorted(retarget.images),
    efsFileSystems: [...retarget.fileSystems]
      .map(([sourceFileSystemId, drFileSystemId]) => ({ sourceFileSystemId, drFileSystemId }))
      .sort((a, b) => compareText(a.sourceFileSystemId, b.sourceFileSystemId)),
    pendingAccessPoints: [...retarget.pendingAccessPoints.values()].sort((a, b) =>
      compareText(a.sourceAccessPointId, b.sourceAccessPointId),
    ),
  };
}

/**
 * Substitutes EFS access point ids (source → the DR access point made for it) in a register
 * input; the executor calls it once the plan's pending access points exist. Pure.
 */
export function applyAccessPointIds(
  input: RegisterTaskDefinitionInputRecord,
  accessPoints: Readonly<Record<string, string>>,
): RegisterTaskDefinitionInputRecord {
  const td = structuredClone(input) as Json;
  for (const volume of recordsAt(td, 'volumes')) {
    const efs = volume.efsVolumeConfiguration;
    const auth = isRecord(efs) ? efs.authorizationConfig : undefined;
    if (!isRecord(auth) || typeof auth.accessPointId !== 'string') continue;
    const drId = lookup(accessPoints, auth.accessPointId);
    if (drId !== undefined) auth.accessPointId = drId;
  }
  return td as RegisterTaskDefinitionInputRecord;
}
