import type { ImageRecord } from '../../../catalog/manifest';
import type { Json, ReferenceContext, RetargetSession } from '../refs';

/**
 * What the rules of a task definition's retarget share: each rule rewrites one concern of a
 * container definition or a task volume (images, secrets, environment, logs, EFS) through the
 * session, which records every change and finding; `retargetTaskDefinition` composes them.
 */

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

/** One retarget of a task definition under way: what the rules read and what they collect. */
export interface TaskDefinitionRetarget {
  readonly ctx: RetargetContext;
  /** Records the changes and findings, the log groups and the roles. */
  readonly session: RetargetSession;
  /** The recovery point's image records by source URI. */
  readonly imagesByUri: ReadonlyMap<string, ImageRecord>;
  /** DR image URIs the containers run (after the rewrite). */
  readonly images: Set<string>;
  /** EFS file systems used: source id → DR id. */
  readonly fileSystems: Map<string, string>;
  /** Access points without a DR counterpart yet, by source id. */
  readonly pendingAccessPoints: Map<string, PendingAccessPoint>;
}

/** A rule applied to each container definition; `path` is `containerDefinitions[<index>]`. */
export type ContainerRule = (container: Json, path: string, retarget: TaskDefinitionRetarget) => void;

/** A rule applied to each task volume; `path` is `volumes[<index>]`. */
export type VolumeRule = (volume: Json, path: string, retarget: TaskDefinitionRetarget) => void;
