import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRegistryCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  type EncryptionConfiguration,
  StartReplicationBackfillCommand,
} from '@aws-sdk/client-ecr';
import type { AwsClients } from '../../aws/clients';
import { awsErrorCode, awsErrorMessage, isEmulatorMissingApi } from '../../aws/errors';
import type { ImageRecord } from '../../catalog/manifest';
import type { LifeboatConfig } from '../../config/schema';
import { chunk, mapConcurrent } from '../../kernel/concurrency';
import type { Logger } from '../../kernel/logger';
import { sleep } from '../../kernel/sleep';
import {
  type DigestOutcome,
  digestKey,
  imagesToVerify,
  oldEnoughForBackfill,
  type ReplicationRule,
  type RepositoryDigests,
  replicatesTo,
  replicationRulesFor,
} from '../plan';
import { copyImage, ECR_BATCH_MAX, newCopySession, presentDigests } from './copy';

/** Repositories worked on at once. */
export const DEFAULT_IMAGE_CONCURRENCY = 4;

/** Longest pause between two checks for images a backfill should bring. */
const BACKFILL_POLL_MS = 15_000;

export interface EnsureImagesDeps {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - no logging */
  readonly log?: Logger;
  /** Repositories worked on at once. @default 4 */
  readonly concurrency?: number;
  /** Waits between backfill checks. @default - a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Something about the images that is not an error of one image (a skipped path, a fallback taken). */
export interface ImageNote {
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

export interface ImagePresenceStats {
  /** Distinct digests checked in the DR registry. */
  readonly verified: number;
  readonly alreadyPresent: number;
  readonly replicated: number;
  readonly backfilled: number;
  readonly copied: number;
  readonly missing: number;
  readonly repositoriesCreated: number;
  readonly layersUploaded: number;
  readonly layersPresent: number;
}

export interface EnsureImagesResult {
  /** Per digest, keyed by `digestKey(sourceRegion, repositoryName, digest)`. */
  readonly outcomes: Map<string, DigestOutcome>;
  readonly notes: ImageNote[];
  readonly stats: ImagePresenceStats;
}

interface GroupState {
  readonly group: RepositoryDigests;
  repositoryExists: boolean;
  missing: string[];
}

/**
 * Makes every ECR digest the images need present in the DR registry and says how each got
 * there. Per source repository: one BatchGetImage in DR per 100 digests; what is there is
 * `replicated` (a Lifeboat-managed replication rule covers the repository) or
 * `already-present`. What is missing and covered by the registry's replication rules and old
 * enough starts a replication backfill (waited for up to `images.backfillWaitSeconds`:
 * `backfilled`); what is still missing is copied (`copied`, creating the DR repository with the
 * source's settings when needed) and checked again in DR. Never throws for one image: a digest
 * that could not be made present is a `missing` outcome with the reason.
 */
export async function ensureImagesInDr(
  deps: EnsureImagesDeps,
  images: readonly ImageRecord[],
): Promise<EnsureImagesResult> {
  const { clients, config, log } = deps;
  const now = deps.now ?? (() => new Date());
  const concurrency = deps.concurrency ?? DEFAULT_IMAGE_CONCURRENCY;
  const account = config.account;
  const dr = clients.ecr(config.drRegion);
  const emulated = clients.target.endpoint !== undefined;
  const managedRules = replicationRulesFor(config);
  const outcomes = new Map<string, DigestOutcome>();
  const notes: ImageNote[] = [];
  let repositoriesCreated = 0;
  const verifiedAt = () => now().toISOString();
  const missingOutcome = (code: string, message: string): DigestOutcome => ({
    presence: 'missing',
    code,
    message,
    at: verifiedAt(),
  });

  // 1. What the DR registry has already.
  const groups = imagesToVerify(images, account);
  const states = await mapConcurrent(groups, concurrency, async (group): Promise<GroupState> => {
    const { region, repositoryName, digests } = group;
    try {
      const present = await presentDigests(dr, account, repositoryName, digests);
      const presence = replicatesTo(managedRules, repositoryName, config.drRegion, account)
        ? 'replicated'
        : 'already-present';
      const at = verifiedAt();
      for (const d of present)
        outcomes.set(digestKey(region, repositoryName, d), { presence, verifiedAt: at });
      return { group, repositoryExists: true, missing: digests.filter((d) => !present.has(d)) };
    } catch (error) {
      if (awsErrorCode(error) === 'RepositoryNotFoundException') {
        return { group, repositoryExists: false, missing: [...digests] };
      }
      for (const d of digests) {
        outcomes.set(
          digestKey(region, repositoryName, d),
          missingOutcome(
            awsErrorCode(error),
            `Could not check ${repositoryName}@${d} in the ${config.drRegion} registry: ${awsErrorMessage(error)}. Check ecr:BatchGetImage on the DR repositories and retry the backup.`,
          ),
        );
      }
      return { group, repositoryExists: true, missing: [] };
    }
  });
  const needed = states.filter((s) => s.missing.length > 0);

  // 2. Replication backfill for what the registry's rules should have replicated.
  if (needed.length > 0) {
    const backfilled = await backfill({ ...deps, now, sleep: deps.sleep ?? sleep, emulated, notes }, needed);
    for (const state of needed) {
      const { region, repositoryName } = state.group;
      const arrived = backfilled.get(`${region}/${repositoryName}`) ?? new Set<string>();
      const at = verifiedAt();
      for (const d of arrived) {
        outcomes.set(digestKey(region, repositoryName, d), { presence: 'backfilled', verifiedAt: at });
      }
      state.missing = state.missing.filter((d) => !arrived.has(d));
    }
  }

  // 3. Copy what is still missing, then check it is there by digest.
  const session = newCopySession();
  await mapConcurrent(
    needed.filter((s) => s.missing.length > 0),
    concurrency,
    async (state) => {
      const { region, repositoryName } = state.group;
      const key = (d: string) => digestKey(region, repositoryName, d);
      if (!config.images.copyMissing) {
        for (const d of state.missing) {
          outcomes.set(
            key(d),
            missingOutcome(
              'ImageNotInDrRegion',
              `${repositoryName}@${d} is not in the ${config.drRegion} registry and lifeboat.images.copyMissing is false; replicate the repository to ${config.drRegion} (lifeboat.images.replication) or enable copyMissing, then run a backup.`,
            ),
          );
        }
        return;
      }
      const source = clients.ecr(region);
      if (!state.repositoryExists) {
        try {
          if (await createDrRepository(source, dr, account, repositoryName, region)) repositoriesCreated += 1;
        } catch (error) {
          for (const d of state.missing) {
            outcomes.set(
              key(d),
              missingOutcome(
                awsErrorCode(error),
                `Could not create repository ${repositoryName} in ${config.drRegion} to copy ${repositoryName}@${d} into: ${awsErrorMessage(error)}. Check ecr:DescribeRepositories in ${region} and ecr:CreateRepository in ${config.drRegion}.`,
              ),
            );
          }
          return;
        }
      }
      const endpoints = { source, destination: dr, registryId: account, repositoryName, emulated };
      const attempted: string[] = [];
      for (const d of state.missing) {
        try {
          await copyImage(endpoints, d, session);
          attempted.push(d);
        } catch (error) {
          outcomes.set(
            key(d),
            missingOutcome(
              awsErrorCode(error),
              `Could not copy ${repositoryName}@${d} to ${config.drRegion}: ${awsErrorMessage(error)}`,
            ),
          );
        }
      }
      if (attempted.length === 0) return;
      let present: Set<string>;
      try {
        present = await presentDigests(dr, account, repositoryName, attempted);
      } catch (error) {
        present = new Set();
        log?.warn('Could not verify copied images', { repositoryName, code: awsErrorCode(error) });
      }
      const at = verifiedAt();
      for (const d of attempted) {
        outcomes.set(
          key(d),
          present.has(d)
            ? { presence: 'copied', verifiedAt: at }
            : missingOutcome(
                'ImageCopyNotVerified',
                `${repositoryName}@${d} was copied to ${config.drRegion} but is not there by that digest; retry the backup.`,
              ),
        );
      }
    },
  );

  if (session.layerApisUnavailable !== undefined) {
    notes.push({
      resourceId: `ecr:${config.drRegion}`,
      code: 'EmulatorLayerApisNotImplemented',
      message: `The emulator does not implement ${session.layerApisUnavailable}; image manifests were copied without their config and layer blobs (on AWS every blob is copied).`,
    });
  }
  const count = (presence: DigestOutcome['presence']) =>
    [...outcomes.values()].filter((o) => o.presence === presence).length;
  const stats: ImagePresenceStats = {
    verified: groups.reduce((n, g) => n + g.digests.length, 0),
    alreadyPresent: count('already-present'),
    replicated: count('replicated'),
    backfilled: count('backfilled'),
    copied: count('copied'),
    missing: count('missing'),
    repositoriesCreated,
    layersUploaded: session.layersUploaded,
    layersPresent: session.layersPresent,
  };
  for (const note of notes) log?.warn(note.message, { resourceId: note.resourceId, code: note.code });
  log?.info('Images made present in the DR region', { ...stats });
  return { outcomes, notes, stats };
}

interface BackfillContext {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly emulated: boolean;
  readonly notes: ImageNote[];
}

/**
 * Starts one replication backfill per source region whose replication rules cover a missing,
 * old-enough image, and waits up to `backfillWaitSeconds` for those images to arrive. Returns
 * the digests that arrived, by `region/repository`. Failures only add notes: the copy follows.
 */
async function backfill(
  ctx: BackfillContext,
  needed: readonly GroupState[],
): Promise<Map<string, Set<string>>> {
  const { clients, config, notes } = ctx;
  const account = config.account;
  const rulesByRegion = new Map<string, ReplicationRule[]>();
  const candidates: { state: GroupState; digests: string[] }[] = [];
  for (const state of needed) {
    const { region, repositoryName } = state.group;
    let rules = rulesByRegion.get(region);
    if (rules === undefined) {
      rules = await registryRules(clients.ecr(region), region, notes);
      rulesByRegion.set(region, rules);
    }
    if (!replicatesTo(rules, repositoryName, config.drRegion, account)) continue;
    const pushed = await pushTimes(clients.ecr(region), account, repositoryName, state.missing);
    const digests = state.missing.filter((d) =>
      oldEnoughForBackfill(pushed.get(d), ctx.now(), config.images.backfillMinAgeMinutes),
    );
    if (digests.length > 0) candidates.push({ state, digests });
  }
  const arrived = new Map<string, Set<string>>();
  const started = new Set<string>();
  for (const region of new Set(candidates.map((c) => c.state.group.region))) {
    try {
      await clients.ecr(region).send(
        new StartReplicationBackfillCommand({
          registryId: account,
          destination: { region: config.drRegion, registryId: account },
        }),
      );
      started.add(region);
    } catch (error) {
      const code = awsErrorCode(error);
      if (code === 'ReplicationBackfillInProgressException') {
        started.add(region);
      } else if (isEmulatorMissingApi(error, ctx.emulated)) {
        notes.push({
          resourceId: `ecr:${region}`,
          code: 'EmulatorBackfillNotImplemented',
          message:
            'The emulator does not implement StartReplicationBackfill; the missing images are copied instead.',
        });
      } else {
        notes.push({
          resourceId: `ecr:${region}`,
          code,
          message: `Could not start an ECR replication backfill from ${region} to ${config.drRegion} (${awsErrorMessage(error)}); the missing images are copied instead.`,
        });
      }
    }
  }
  const waiting = candidates.filter((c) => started.has(c.state.group.region));
  const deadline = ctx.now().getTime() + config.images.backfillWaitSeconds * 1000;
  const dr = clients.ecr(config.drRegion);
  while (waiting.some((w) => w.digests.length > 0)) {
    const left = deadline - ctx.now().getTime();
    if (left <= 0) break;
    await ctx.sleep(Math.min(left, BACKFILL_POLL_MS));
    for (const w of waiting) {
      if (w.digests.length === 0) continue;
      const { region, repositoryName } = w.state.group;
      const present = await presentDigests(dr, account, repositoryName, w.digests).catch(
        () => new Set<string>(),
      );
      const key = `${region}/${repositoryName}`;
      const set = arrived.get(key) ?? new Set<string>();
      for (const d of present) set.add(d);
      arrived.set(key, set);
      w.digests = w.digests.filter((d) => !present.has(d));
    }
  }
  return arrived;
}

/** The registry's replication rules (DescribeRegistry); none, with a note, when they cannot be read. */
async function registryRules(ecr: ECRClient, region: string, notes: ImageNote[]): Promise<ReplicationRule[]> {
  try {
    const res = await ecr.send(new DescribeRegistryCommand({}));
    return (res.replicationConfiguration?.rules ?? []).map((rule) => ({
      destinations: (rule.destinations ?? []).map((d) => ({
        region: d.region ?? '',
        registryId: d.registryId ?? '',
      })),
      repositoryFilters: (rule.repositoryFilters ?? []).map((f) => ({
        filter: f.filter ?? '',
        filterType: f.filterType ?? '',
      })),
    }));
  } catch (error) {
    notes.push({
      resourceId: `ecr:${region}`,
      code: awsErrorCode(error),
      message: `Could not read the replication configuration of the ${region} registry (${awsErrorMessage(error)}); missing images are copied without trying a backfill.`,
    });
    return [];
  }
}

/** When each digest was pushed in the source (DescribeImages, 100 per call); unknown ones are absent. */
async function pushTimes(
  ecr: ECRClient,
  registryId: string,
  repositoryName: string,
  digests: readonly string[],
): Promise<Map<string, Date>> {
  const times = new Map<string, Date>();
  for (const ids of chunk(digests, ECR_BATCH_MAX)) {
    try {
      const res = await ecr.send(
        new DescribeImagesCommand({
          registryId,
          repositoryName,
          imageIds: ids.map((imageDigest) => ({ imageDigest })),
        }),
      );
      for (const detail of res.imageDetails ?? []) {
        if (detail.imageDigest && detail.imagePushedAt) times.set(detail.imageDigest, detail.imagePushedAt);
      }
    } catch {
      // Unknown push times make the digests ineligible for backfill; they are copied instead.
    }
  }
  return times;
}

/**
 * Creates the DR repository with the source repository's tag mutability, scanning and
 * encryption type. A KMS key of the source region cannot encrypt in the DR region, so a
 * KMS-encrypted repository gets the DR region's AWS managed key. Returns false when the
 * repository appeared meanwhile.
 */
async function createDrRepository(
  source: ECRClient,
  dr: ECRClient,
  registryId: string,
  repositoryName: string,
  sourceRegion: string,
): Promise<boolean> {
  const described = await source.send(
    new DescribeRepositoriesCommand({ registryId, repositoryNames: [repositoryName] }),
  );
  const repo = described.repositories?.[0];
  const encryption: EncryptionConfiguration | undefined = repo?.encryptionConfiguration?.encryptionType
    ? { encryptionType: repo.encryptionConfiguration.encryptionType }
    : undefined;
  try {
    await dr.send(
      new CreateRepositoryCommand({
        registryId,
        repositoryName,
        ...(repo?.imageTagMutability ? { imageTagMutability: repo.imageTagMutability } : {}),
        ...(repo?.imageTagMutabilityExclusionFilters?.length
          ? { imageTagMutabilityExclusionFilters: repo.imageTagMutabilityExclusionFilters }
          : {}),
        ...(repo?.imageScanningConfiguration
          ? { imageScanningConfiguration: repo.imageScanningConfiguration }
          : {}),
        ...(encryption ? { encryptionConfiguration: encryption } : {}),
        tags: [{ Key: 'lifeboat:source-region', Value: sourceRegion }],
      }),
    );
    return true;
  } catch (error) {
    if (awsErrorCode(error) === 'RepositoryAlreadyExistsException') return false;
    throw error;
  }
}
