import type { ImageRecord, RegisterTaskDefinitionInputRecord } from '../../catalog/manifest';
import { ecrImageUri, type ImageReference, parseImageReference } from '../../images/references';
import { compareText, type Finding } from '../../kernel/findings';
import {
  eachRecord,
  isRecord,
  type Json,
  lookup,
  type ReferenceContext,
  type RetargetChange,
  RetargetSession,
  recordsAt,
} from './refs';

export type { ReferenceContext, RetargetChange } from './refs';

/** What retargeting a task definition needs besides the two regions. */
export interface RetargetContext extends ReferenceContext {
  /** The recovery point's image records (`sourceUri` → `drUri`, presence). */
  readonly images: readonly ImageRecord[];
  /**
   * Source EFS file system id → DR file system id: `config.mappings.efsFileSystems` first,
   * then the recovery point's `volumes.efs[].drFileSystemId`.
   */
  readonly efsFileSystems: Readonly<Record<string, string>>;
  /** Source EFS access point id → id of the DR access point already made for it. */
  readonly efsAccessPoints: Readonly<Record<string, string>>;
}

/** An EFS access point the task definition uses that has no DR counterpart yet. */
export interface PendingAccessPoint {
  readonly sourceAccessPointId: string;
  readonly sourceFileSystemId: string;
  readonly drFileSystemId: string;
}

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

const PRESENT = new Set(['replicated', 'backfilled', 'copied', 'already-present']);
const REGION_VARIABLES = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION']);

function tryParseImage(uri: string): ImageReference | undefined {
  try {
    return parseImageReference(uri);
  } catch {
    return undefined;
  }
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareText);
}

/** The same repository and reference (digest first) in the DR registry of the fleet's account. */
function drRegistryUri(
  ref: Extract<ImageReference, { kind: 'ecr' }>,
  ctx: RetargetContext,
): string | undefined {
  try {
    return ecrImageUri(
      ctx.account,
      ctx.drRegion,
      ref.repositoryName,
      ref.digest ? { digest: ref.digest } : { tag: ref.tag ?? 'latest' },
    );
  } catch {
    return undefined;
  }
}

function rewriteImage(
  container: Json,
  path: string,
  ctx: RetargetContext,
  byUri: ReadonlyMap<string, ImageRecord>,
  session: RetargetSession,
): void {
  const uri = container.image;
  if (typeof uri !== 'string' || uri === '') return;
  const at = `${path}.image`;
  const ref = tryParseImage(uri);
  const ecr = ref?.kind === 'ecr' ? ref : undefined;
  const ours = ecr !== undefined && ecr.registryId === ctx.account;
  const inPrimary = ours && ecr.region === ctx.primaryRegion;
  const record = byUri.get(uri);
  const usable = record !== undefined && record.presence !== 'external' ? record : undefined;

  if (usable !== undefined && (inPrimary || usable.drUri !== undefined)) {
    const byDigest = usable.digest && ecr ? drRegistryUri({ ...ecr, digest: usable.digest }, ctx) : undefined;
    const target = usable.drUri ?? byDigest ?? (inPrimary && ecr ? drRegistryUri(ecr, ctx) : undefined);
    if (target !== undefined) session.set(container, 'image', at, target);
    if (usable.presence === 'missing') {
      session.report(at, {
        severity: 'error',
        code: 'IMAGE_MISSING',
        resource: uri,
        message: `Image ${uri}${usable.digest ? ` (${usable.digest})` : ''} was not present in ${ctx.drRegion} when the recovery point was taken; tasks cannot pull it.`,
        fix: `Replicate the image to ${ctx.drRegion} (ECR replication, or run a backup), then restore from a newer recovery point.`,
      });
    } else if (!PRESENT.has(usable.presence) || target === undefined) {
      session.report(at, {
        severity: 'warning',
        code: 'IMAGE_UNVERIFIED',
        resource: uri,
        message: `Image ${uri} was resolved to ${usable.digest ?? 'no digest'}, but its presence in ${ctx.drRegion} was not verified.`,
        fix: `Check that ${target ?? uri} exists in ${ctx.drRegion} (aws ecr describe-images) before failing over.`,
      });
    }
    return;
  }
  if (inPrimary && ecr) {
    const target = drRegistryUri(ecr, ctx);
    if (target !== undefined) session.set(container, 'image', at, target);
    session.report(at, {
      severity: 'error',
      code: 'IMAGE_NOT_IN_RECOVERY_POINT',
      resource: uri,
      message: `Image ${uri} has no usable record in the recovery point, so it was never made present in ${ctx.drRegion}; the container points at ${target ?? 'the same URI'}, which may not exist.`,
      fix: `Run a backup so the image is replicated to ${ctx.drRegion}, then restore from the new recovery point.`,
    });
    return;
  }
  if (ours && ecr.region === ctx.drRegion) return;
  session.report(at, {
    severity: 'warning',
    code: ecr ? 'IMAGE_IN_OTHER_REGISTRY' : 'IMAGE_EXTERNAL',
    resource: uri,
    message: ecr
      ? `Image ${uri} is in ECR of account ${ecr.registryId} in ${ecr.region}, which Lifeboat does not copy; it is left as it is.`
      : `Image ${uri} is not in this account's ECR, so Lifeboat cannot pin or copy it; it is pulled from its registry at task start.`,
    fix: ecr
      ? `Make sure ${uri} can be pulled in ${ctx.drRegion} while ${ecr.region} is down (replicate it to ${ctx.drRegion}).`
      : `Create an ECR pull-through cache rule for its registry in ${ctx.drRegion} (or copy the image into ECR) and point the task definition at it, so failover does not depend on the external registry.`,
  });
}

function rewriteEfsVolume(
  volume: Json,
  path: string,
  ctx: RetargetContext,
  session: RetargetSession,
  used: Map<string, string>,
  pending: Map<string, PendingAccessPoint>,
): void {
  const efs = volume.efsVolumeConfiguration;
  if (!isRecord(efs) || typeof efs.fileSystemId !== 'string' || efs.fileSystemId === '') return;
  const at = `${path}.efsVolumeConfiguration`;
  const sourceFs = efs.fileSystemId;
  const drFs =
    lookup(ctx.efsFileSystems, sourceFs) ??
    (Object.values(ctx.efsFileSystems).includes(sourceFs) ? sourceFs : undefined);
  if (drFs === undefined) {
    session.report(`${at}.fileSystemId`, {
      severity: 'error',
      code: 'EFS_NOT_REPLICATED',
      resource: sourceFs,
      message: `EFS file system ${sourceFs} has no replica in ${ctx.drRegion} recorded in the recovery point and no mapping; the volume "${String(volume.name)}" cannot be mounted.`,
      fix: `Enable EFS replication of ${sourceFs} to ${ctx.drRegion} (Lifeboat records the replica), or add mappings.efsFileSystems["${sourceFs}"] = "fs-<DR id>" to the Lifeboat config.`,
    });
    return;
  }
  session.set(efs, 'fileSystemId', `${at}.fileSystemId`, drFs);
  const source =
    lookup(ctx.efsFileSystems, sourceFs) !== undefined
      ? sourceFs
      : (findSource(ctx.efsFileSystems, drFs) ?? drFs);
  used.set(source, drFs);
  const auth = efs.authorizationConfig;
  if (!isRecord(auth) || typeof auth.accessPointId !== 'string' || auth.accessPointId === '') return;
  const sourceAp = auth.accessPointId;
  const drAp = lookup(ctx.efsAccessPoints, sourceAp);
  if (drAp !== undefined) {
    session.set(auth, 'accessPointId', `${at}.authorizationConfig.accessPointId`, drAp);
  } else if (!Object.values(ctx.efsAccessPoints).includes(sourceAp)) {
    pending.set(sourceAp, {
      sourceAccessPointId: sourceAp,
      sourceFileSystemId: source,
      drFileSystemId: drFs,
    });
  }
}

function findSource(mapping: Readonly<Record<string, string>>, drId: string): string | undefined {
  return Object.keys(mapping)
    .filter((k) => mapping[k] === drId)
    .sort(compareText)[0];
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
  const session = new RetargetSession(ctx);
  const byUri = new Map(ctx.images.map((image) => [image.sourceUri, image]));
  const images = new Set<string>();
  const usedFs = new Map<string, string>();
  const pending = new Map<string, PendingAccessPoint>();

  eachRecord(td, 'containerDefinitions', (container, i) => {
    const path = `containerDefinitions[${i}]`;
    rewriteImage(container, path, ctx, byUri, session);
    if (typeof container.image === 'string') images.add(container.image);
    if (isRecord(container.repositoryCredentials)) {
      session.rewriteSecretReference(
        container.repositoryCredentials,
        'credentialsParameter',
        `${path}.repositoryCredentials.credentialsParameter`,
        'secret',
      );
    }
    eachRecord(container, 'secrets', (secret, j) => {
      session.rewriteSecretReference(secret, 'valueFrom', `${path}.secrets[${j}].valueFrom`, 'parameter');
    });
    eachRecord(container, 'environmentFiles', (file, j) => {
      session.rewriteS3Reference(file, 'value', `${path}.environmentFiles[${j}].value`, 'Environment file');
    });
    eachRecord(container, 'environment', (variable, j) => {
      if (
        typeof variable.name === 'string' &&
        REGION_VARIABLES.has(variable.name) &&
        variable.value === ctx.primaryRegion
      ) {
        session.set(variable, 'value', `${path}.environment[${j}].value`, ctx.drRegion);
      }
    });
    session.rewriteLogConfiguration(container.logConfiguration, `${path}.logConfiguration`);
    const firelens = container.firelensConfiguration;
    if (isRecord(firelens) && isRecord(firelens.options) && firelens.options['config-file-type'] === 's3') {
      session.rewriteS3Reference(
        firelens.options,
        'config-file-value',
        `${path}.firelensConfiguration.options.config-file-value`,
        'FireLens configuration file',
      );
    }
  });
  eachRecord(td, 'volumes', (volume, i) => {
    rewriteEfsVolume(volume, `volumes[${i}]`, ctx, session, usedFs, pending);
  });
  session.collectRole(td.executionRoleArn);
  session.collectRole(td.taskRoleArn);
  session.moveRemainingReferences(td, '');

  return {
    registerInput: td as RegisterTaskDefinitionInputRecord,
    changes: session.changes,
    findings: session.findings,
    logGroups: sorted(session.logGroups),
    roles: sorted(session.roles),
    images: sorted(images),
    efsFileSystems: [...usedFs]
      .map(([sourceFileSystemId, drFileSystemId]) => ({ sourceFileSystemId, drFileSystemId }))
      .sort((a, b) => compareText(a.sourceFileSystemId, b.sourceFileSystemId)),
    pendingAccessPoints: [...pending.values()].sort((a, b) =>
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
