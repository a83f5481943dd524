import type * as z from 'zod';
import type { AwsClients, CallCounter } from '../aws/clients';
import { type CatalogStore, catalogStoreFor } from '../catalog/aws/store';
import { sealManifest } from '../catalog/checksum';
import { RecoveryPointExistsError } from '../catalog/errors';
import { type Manifest, type ManifestBody, manifestBodySchema } from '../catalog/manifest';
import type { LifeboatConfig } from '../config/schema';
import { VOLUME_KEY_ALIAS } from '../config/settings';
import { ensureImagesInDr, type ImagePresenceStats } from '../images/aws/presence';
import { applyImageOutcomes } from '../images/plan';
import type { Logger } from '../kernel/logger';
import { sleep } from '../kernel/sleep';
import {
  applyVolumeCopies,
  isCopyDone,
  type PhaseCounts,
  phaseCounts,
  type VolumeCopyState,
  volumeCopyStateSchema,
} from '../volumes/ebs/model';
import { type CaptureCounts, type CaptureDeps, type CaptureWarning, captureFleet } from './capture';
import { StagingError } from './errors';
import { advanceCopies, type CopyTickResult } from './volumes';

/**
 * The backup in steps, as the backup workflow runs them: stage (capture, images, snapshots
 * started) → advance the volume copies (ticks, with waits between) → commit. `runCapture` runs
 * all of them in one process.
 */

/** Where a running backup keeps its work between steps: the catalog's `staging/<id>/`, or memory. */
export interface BackupStaging {
  putBody(body: ManifestBody): Promise<void>;
  getBody(recoveryPointId: string): Promise<ManifestBody>;
  putCopies(state: VolumeCopyState): Promise<void>;
  getCopies(recoveryPointId: string): Promise<VolumeCopyState>;
}

const BODY_PART = 'body';
const COPIES_PART = 'volumes';

function parseStaged<T>(schema: z.ZodType<T>, value: unknown, id: string, where: string): T {
  if (value === undefined) {
    throw new StagingError(
      `${where} does not exist: the Capture step of the same backup writes it. Start a new backup (or pass the recoveryPointId the Capture step returned).`,
      id,
    );
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new StagingError(
    `${where} is not valid at ${issue?.path.map(String).join('.') || '(root)'}: ${issue?.message ?? 'unknown problem'}. Start a new backup.`,
    id,
  );
}

/** Staging in the catalog bucket: `staging/<id>/body.json` and `staging/<id>/volumes.json`. */
export function catalogStaging(store: CatalogStore): BackupStaging {
  const where = (id: string, part: string) => `s3://${store.bucket}/staging/${id}/${part}.json`;
  return {
    putBody: async (body) => {
      await store.putStaging(body.id, BODY_PART, body);
    },
    getBody: async (id) =>
      parseStaged(manifestBodySchema, await store.getStaging(id, BODY_PART), id, where(id, BODY_PART)),
    putCopies: async (state) => {
      await store.putStaging(state.recoveryPointId, COPIES_PART, state);
    },
    getCopies: async (id) =>
      parseStaged(volumeCopyStateSchema, await store.getStaging(id, COPIES_PART), id, where(id, COPIES_PART)),
  };
}

/** Staging in this process (the all-in-one `runCapture`): parts are kept as JSON, as the catalog would. */
export function memoryStaging(): BackupStaging {
  const parts = new Map<string, string>();
  const get = (id: string, part: string): unknown => {
    const text = parts.get(`${id}/${part}`);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  };
  return {
    putBody: async (body) => {
      parts.set(`${body.id}/${BODY_PART}`, JSON.stringify(body));
    },
    getBody: async (id) =>
      parseStaged(manifestBodySchema, get(id, BODY_PART), id, `staged ${BODY_PART} of ${id}`),
    putCopies: async (state) => {
      parts.set(`${state.recoveryPointId}/${COPIES_PART}`, JSON.stringify(state));
    },
    getCopies: async (id) =>
      parseStaged(volumeCopyStateSchema, get(id, COPIES_PART), id, `staged ${COPIES_PART} of ${id}`),
  };
}

export interface StageDeps extends CaptureDeps {
  readonly staging: BackupStaging;
  /**
   * Make every ECR digest present in the DR registry before committing (verify, backfill,
   * copy; `images[].presence` and `verifiedAt` record how), so a missing image makes the
   * recovery point partial. Without it images stay `unverified`.
   * @default false
   */
  readonly verifyImages?: boolean;
}

export interface StageResult {
  readonly recoveryPointId: string;
  /** The staged body (EBS records without their DR copies yet). */
  readonly body: ManifestBody;
  readonly copies: VolumeCopyState;
  /** No volume copy to wait for: the backup can be committed at once. */
  readonly done: boolean;
  readonly warnings: CaptureWarning[];
  readonly counts: CaptureCounts;
  /** What the image verification found, when `verifyImages` was set. */
  readonly images?: ImagePresenceStats;
}

/**
 * First step of a backup: captures the fleet and starts the volume snapshots (`captureFleet`),
 * makes the images present in the DR registry (with `verifyImages`), and stages the body and
 * the copy state for the next steps.
 */
export async function stageBackup(deps: StageDeps): Promise<StageResult> {
  const captured = await captureFleet(deps);
  const { counts, copies } = captured;
  let { body, warnings } = captured;
  let images: ImagePresenceStats | undefined;
  if (deps.verifyImages) {
    const now = deps.now ?? (() => new Date());
    const verified = await ensureImagesInDr(
      { clients: deps.clients, config: deps.config, now, ...(deps.log ? { log: deps.log } : {}) },
      body.images,
    );
    body = applyImageOutcomes(body, verified.outcomes, now().toISOString());
    warnings = [...warnings, ...verified.notes.map((note) => ({ resourceType: 'image' as const, ...note }))];
    images = verified.stats;
  }
  await deps.staging.putBody(body);
  await deps.staging.putCopies(copies);
  const done = isCopyDone(copies);
  deps.log?.info('Staged backup', {
    recoveryPointId: body.id,
    services: body.services.length,
    volumes: copies.volumes.length,
    ...phaseCounts(copies),
  });
  return { recoveryPointId: body.id, body, copies, done, warnings, counts, ...(images ? { images } : {}) };
}

export interface AdvanceDeps {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  readonly staging: BackupStaging;
  /** DR-region KMS key (alias or ARN) the DR copies are encrypted with (`VOLUME_KMS_KEY_ID`). */
  readonly volumeKmsKeyId: string;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - no logging */
  readonly log?: Logger;
  /** Block engine: stop at this signal, checkpointing (the next tick resumes). @default - none */
  readonly signal?: AbortSignal;
}

export interface AdvanceResult extends CopyTickResult {
  readonly recoveryPointId: string;
}

/** One tick of a backup's volume copies (`advanceCopies`), from and back to the staged copy state. */
export async function advanceVolumeCopies(
  deps: AdvanceDeps,
  recoveryPointId: string,
): Promise<AdvanceResult> {
  const state = await deps.staging.getCopies(recoveryPointId);
  if (isCopyDone(state)) {
    return { recoveryPointId, state, done: true, counts: phaseCounts(state), bytesSent: 0 };
  }
  const result = await advanceCopies(
    {
      clients: deps.clients,
      config: deps.config,
      volumeKmsKeyId: deps.volumeKmsKeyId,
      now: deps.now ?? (() => new Date()),
      ...(deps.log ? { log: deps.log } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
      save: (next) => deps.staging.putCopies(next),
    },
    state,
  );
  return { recoveryPointId, ...result };
}

export interface CommitDeps {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  readonly staging: BackupStaging;
  /** Catalog bucket in the DR region. */
  readonly bucket: string;
  /** KMS key for the manifest object. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - no logging */
  readonly log?: Logger;
}

export interface CommitResult {
  readonly manifest: Manifest;
  /** Catalog key of the committed manifest. */
  readonly key: string;
}

/**
 * Last step of a backup: adds the DR copies to the staged body (`applyVolumeCopies`: a failed
 * copy is a `volume` error and makes the recovery point partial), seals it and commits it to
 * the catalog. Safe to retry: a recovery point already committed is read back and returned.
 */
export async function commitBackup(deps: CommitDeps, recoveryPointId: string): Promise<CommitResult> {
  const now = deps.now ?? (() => new Date());
  const body = await deps.staging.getBody(recoveryPointId);
  const copies = await deps.staging.getCopies(recoveryPointId);
  const manifest = sealManifest(applyVolumeCopies(body, copies, now().toISOString()));
  const store = catalogStoreFor(deps.clients, {
    region: deps.config.drRegion,
    bucket: deps.bucket,
    ...(deps.kmsKeyId ? { kmsKeyId: deps.kmsKeyId } : {}),
  });
  let key: string;
  try {
    key = await store.commit(manifest);
  } catch (error) {
    if (!(error instanceof RecoveryPointExistsError)) throw error;
    const committed = await store.get(recoveryPointId, { allowPartial: true });
    deps.log?.info('Recovery point was already committed', { recoveryPointId, status: committed.status });
    return { manifest: committed, key: error.key };
  }
  deps.log?.info('Committed recovery point', {
    recoveryPointId: manifest.id,
    status: manifest.status,
    services: manifest.services.length,
    taskDefinitions: manifest.taskDefinitions.length,
    images: manifest.images.length,
    volumes: manifest.volumes.ebs.length,
    errors: manifest.errors.length,
  });
  return { manifest, key };
}

export interface RunCaptureDeps extends CaptureDeps {
  /** Catalog bucket in the DR region. */
  readonly bucket: string;
  /**
   * KMS key for the manifest object, which also seals secret environment values unless
   * `catalogKeyId` names another. @default - the bucket's default encryption
   */
  readonly kmsKeyId?: string;
  /** The counter wired to `clients` (`AwsTarget.onCall`), to report the calls made. @default - none */
  readonly counter?: CallCounter;
  /** See `StageDeps.verifyImages`. @default false */
  readonly verifyImages?: boolean;
  /** DR-region KMS key (alias or ARN) the DR copies of the volume snapshots are encrypted with. @default 'alias/lifeboat-volumes' */
  readonly volumeKmsKeyId?: string;
  /** Wait between two ticks of the volume copies, in milliseconds. @default - `volumes.ebs.pollSeconds` × 1000 */
  readonly pollMs?: number;
  /** How to wait between ticks. @default - a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RunCaptureResult extends CommitResult {
  readonly warnings: CaptureWarning[];
  readonly counts: CaptureCounts;
  /** What the image verification found, when `verifyImages` was set. */
  readonly images?: ImagePresenceStats;
  /** Ticks it took to copy the volumes to the DR region (0 when there was nothing to copy), and where they ended. */
  readonly volumes: { readonly ticks: number; readonly counts: PhaseCounts };
  /** API calls by operation, when a counter was given. */
  readonly calls?: Record<string, number>;
}

/**
 * The whole backup in this process (tests, the benchmark, scripts): stages it, advances the
 * volume copies tick by tick (waiting `pollMs` between ticks; none when there are no volumes)
 * until every copy completed or failed, and commits. State stays in memory: no staging
 * objects are written. Retention is not applied (the backup workflow's Commit step does it).
 */
export async function runCapture(deps: RunCaptureDeps): Promise<RunCaptureResult> {
  const staging = memoryStaging();
  const catalogKeyId = deps.catalogKeyId ?? deps.kmsKeyId;
  const staged = await stageBackup({ ...deps, ...(catalogKeyId ? { catalogKeyId } : {}), staging });
  const id = staged.recoveryPointId;
  const advance: AdvanceDeps = {
    clients: deps.clients,
    config: deps.config,
    staging,
    volumeKmsKeyId: deps.volumeKmsKeyId ?? VOLUME_KEY_ALIAS,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  };
  const pollMs = deps.pollMs ?? deps.config.volumes.ebs.pollSeconds * 1000;
  const wait = deps.sleep ?? sleep;
  let ticks = 0;
  let counts = phaseCounts(staged.copies);
  for (let done = staged.done; !done; ) {
    if (ticks > 0) await wait(pollMs);
    const tick = await advanceVolumeCopies(advance, id);
    ticks += 1;
    done = tick.done;
    counts = tick.counts;
  }
  const committed = await commitBackup(
    {
      clients: deps.clients,
      config: deps.config,
      staging,
      bucket: deps.bucket,
      ...(deps.kmsKeyId ? { kmsKeyId: deps.kmsKeyId } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    },
    id,
  );
  return {
    ...committed,
    warnings: staged.warnings,
    counts: staged.counts,
    ...(staged.images ? { images: staged.images } : {}),
    volumes: { ticks, counts },
    ...(deps.counter ? { calls: deps.counter.toJSON() } : {}),
  };
}
