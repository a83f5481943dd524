import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sealManifest } from '../../src/catalog/checksum';
import {
  type ImageRecord,
  type Manifest,
  type ManifestBody,
  manifestBodySchema,
  type RegisterTaskDefinitionInputRecord,
  type ResourceError,
} from '../../src/catalog/manifest';
import type { LifeboatConfig } from '../../src/config/schema';
import { type DrInventory, drInventorySchema } from '../../src/fleet/inventory';

/**
 * Readable recovery point fixtures for restore tests.
 *
 * `shopFleet*`: a realistic two-cluster fleet (test/fixtures/manifests/shop-fleet.json) and
 * the DR region as the planner would see it (shop-fleet.dr-inventory.json).
 * `ManifestBuilder`: small manifests with just the services a test is about.
 */
export const ACCOUNT = '123456789012';
export const PRIMARY = 'us-east-1';
export const DR = 'us-west-2';
export const RECOVERY_POINT_ID = 'rp-20260301T120000000Z-a1b2c3';
/** The deployment id of a configuration with these regions and no `deploymentId` (`deploymentIdOf`). */
export const DEPLOYMENT_ID = `${PRIMARY}-${DR}`;

const FIXTURES = join(__dirname, '..', 'fixtures', 'manifests');

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

/** A fresh copy of the shop fleet manifest body, optionally edited, sealed with its checksum. */
export function shopFleetManifest(edit?: (body: ManifestBody) => void): Manifest {
  const body = manifestBodySchema.parse(readJson('shop-fleet.json'));
  edit?.(body);
  return sealManifest(body);
}

/** The DR region of the shop fleet: network tagged for it, secret replicas, one log group. */
export function shopFleetInventory(edit?: (inventory: DrInventory) => void): DrInventory {
  const inventory = drInventorySchema.parse(readJson('shop-fleet.dr-inventory.json'));
  edit?.(inventory);
  return inventory;
}

export function emptyMappings(): LifeboatConfig['mappings'] {
  return {
    subnets: {},
    securityGroups: {},
    targetGroups: {},
    loadBalancers: {},
    namespaces: {},
    secrets: {},
    efsFileSystems: {},
    availabilityZones: {},
    kmsKeys: {},
  };
}

export function ecrUri(region: string, repository: string, ref: string): string {
  return `${ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${repository}${ref.startsWith('sha256:') ? `@${ref}` : `:${ref}`}`;
}

/** `sha256:` + 64 hex digits derived from a short seed, for readable fixtures. */
export function digestOf(seed: string): string {
  const hex = Buffer.from(seed).toString('hex');
  return `sha256:${hex.repeat(Math.ceil(64 / hex.length)).slice(0, 64)}`;
}

/** An image record of the fleet's ECR in the primary region, replicated to DR by digest. */
export function replicatedImage(
  repository: string,
  tag: string,
  presence: ImageRecord['presence'] = 'replicated',
): ImageRecord {
  const digest = digestOf(`${repository}:${tag}`);
  return {
    sourceUri: ecrUri(PRIMARY, repository, tag),
    registryId: ACCOUNT,
    region: PRIMARY,
    repositoryName: repository,
    tag,
    digest,
    ...(presence === 'missing' ? {} : { drUri: ecrUri(DR, repository, digest) }),
    presence,
    usedBy: [],
  };
}

export interface ServiceSpec {
  /** Task definition register input; `family` defaults to `<cluster>-<service>`. */
  readonly registerInput?: Partial<RegisterTaskDefinitionInputRecord> & Record<string, unknown>;
  /** CreateService input members besides `serviceName`. */
  readonly createInput?: Record<string, unknown>;
  readonly wave?: number;
  readonly desiredCount?: number;
}

/** Builds small sealed manifests: `new ManifestBuilder().service('shop/web', {...}).build()`. */
export class ManifestBuilder {
  private readonly body: ManifestBody = {
    schemaVersion: 1,
    id: RECOVERY_POINT_ID,
    status: 'complete',
    startedAt: '2026-03-01T12:00:00.000Z',
    completedAt: '2026-03-01T12:02:00.000Z',
    source: { account: ACCOUNT, region: PRIMARY },
    target: { region: DR },
    clusters: [],
    services: [],
    taskDefinitions: [],
    images: [],
    volumes: { ebs: [], efs: [] },
    network: { subnets: [], securityGroups: [] },
    errors: [],
  };

  service(key: string, spec: ServiceSpec = {}): this {
    const [clusterName = '', serviceName = ''] = key.split('/');
    const family = `${clusterName}-${serviceName}`;
    const sourceArn = `arn:aws:ecs:${PRIMARY}:${ACCOUNT}:task-definition/${family}:1`;
    if (!this.body.clusters.some((c) => c.clusterName === clusterName)) {
      this.body.clusters.push({
        clusterName,
        clusterArn: `arn:aws:ecs:${PRIMARY}:${ACCOUNT}:cluster/${clusterName}`,
        settings: [{ name: 'containerInsights', value: 'enabled' }],
        capacityProviders: ['FARGATE'],
        defaultCapacityProviderStrategy: [],
        tags: [],
      });
    }
    this.body.taskDefinitions.push({
      sourceArn,
      family,
      revision: 1,
      registerInput: {
        family,
        containerDefinitions: [{ name: 'app', image: 'docker.io/library/nginx:1.27', essential: true }],
        ...spec.registerInput,
      },
      tags: [],
    });
    this.body.services.push({
      clusterName,
      serviceName,
      serviceArn: `arn:aws:ecs:${PRIMARY}:${ACCOUNT}:service/${clusterName}/${serviceName}`,
      taskDefinitionArn: sourceArn,
      createInput: {
        serviceName,
        desiredCount: spec.desiredCount ?? 2,
        launchType: 'FARGATE',
        ...spec.createInput,
      },
      tags: [],
      wave: spec.wave ?? 1,
    });
    return this;
  }

  image(record: ImageRecord): this {
    this.body.images.push(record);
    return this;
  }

  partial(errors: ResourceError[]): this {
    this.body.status = 'partial';
    this.body.errors.push(...errors);
    return this;
  }

  edit(fn: (body: ManifestBody) => void): this {
    fn(this.body);
    return this;
  }

  build(): Manifest {
    return sealManifest(structuredClone(this.body));
  }
}
