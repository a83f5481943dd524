import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createServiceInputSchema, type NetworkRecord } from '../../../../src/catalog/manifest';
import type { DrInventory } from '../../../../src/fleet/inventory';
import {
  retargetService,
  type ServiceRetargetContext,
  type ServiceRetargetResult,
} from '../../../../src/fleet/retarget/service';
import {
  ACCOUNT,
  DEPLOYMENT_ID,
  DR,
  emptyMappings,
  PRIMARY,
  RECOVERY_POINT_ID,
} from '../../../support/manifest-builder';

const DR_VPC = 'vpc-0dr';
const OTHER_VPC = 'vpc-0other';
const targetGroupArn = (region: string, name: string, id: string) =>
  `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:targetgroup/${name}/${id}`;

const network: NetworkRecord = {
  subnets: [
    { subnetId: 'subnet-a', tags: [{ key: 'Name', value: 'app-a' }] },
    { subnetId: 'subnet-b', tags: [{ key: 'Name', value: 'app-b' }] },
    { subnetId: 'subnet-c', tags: [{ key: 'Name', value: 'shared' }] },
  ],
  securityGroups: [
    { groupId: 'sg-web', groupName: 'web', tags: [] },
    { groupId: 'sg-db', groupName: 'db', tags: [{ key: 'Name', value: 'database' }] },
  ],
};

const inventory: Pick<DrInventory, 'subnets' | 'securityGroups' | 'targetGroups'> = {
  subnets: [
    { subnetId: 'subnet-dr-a', vpcId: DR_VPC, tags: [{ key: 'lifeboat:source-id', value: 'subnet-a' }] },
    { subnetId: 'subnet-dr-b', vpcId: DR_VPC, tags: [{ key: 'Name', value: 'app-b' }] },
    { subnetId: 'subnet-dr-c1', vpcId: DR_VPC, tags: [{ key: 'Name', value: 'shared' }] },
    { subnetId: 'subnet-dr-c2', vpcId: OTHER_VPC, tags: [{ key: 'Name', value: 'shared' }] },
    { subnetId: 'subnet-other', vpcId: OTHER_VPC, tags: [] },
  ],
  securityGroups: [
    { groupId: 'sg-dr-web', groupName: 'web', vpcId: DR_VPC, tags: [] },
    { groupId: 'sg-other-web', groupName: 'web', vpcId: OTHER_VPC, tags: [] },
    { groupId: 'sg-dr-db', groupName: 'db-dr', vpcId: DR_VPC, tags: [{ key: 'Name', value: 'database' }] },
  ],
  targetGroups: [
    { targetGroupArn: targetGroupArn(DR, 'web', 'dr1'), targetGroupName: 'web', vpcId: DR_VPC },
    { targetGroupArn: targetGroupArn(DR, 'web-blue', 'dr2'), targetGroupName: 'web-blue', vpcId: OTHER_VPC },
  ],
};

function context(overrides: Partial<ServiceRetargetContext> = {}): ServiceRetargetContext {
  return {
    account: ACCOUNT,
    primaryRegion: PRIMARY,
    drRegion: DR,
    secretMappings: {},
    recoveryPointId: RECOVERY_POINT_ID,
    deploymentId: DEPLOYMENT_ID,
    drClusterName: 'shop',
    desiredCount: 3,
    mappings: emptyMappings(),
    network,
    inventory,
    ebsVolumes: [],
    cloudMap: {
      drRegion: DR,
      captured: { namespaces: [], services: [] },
      inventory: { cloudMapNamespaces: [], cloudMapServices: [] },
      mapping: {},
    },
    ...overrides,
  };
}

function service(members: Record<string, unknown>) {
  return createServiceInputSchema.parse({
    serviceName: 'web',
    desiredCount: 4,
    launchType: 'FARGATE',
    ...members,
  });
}

function awsvpc(subnets: string[], securityGroups: string[]) {
  return {
    networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups, assignPublicIp: 'DISABLED' } },
  };
}

function vpcConfig(result: ServiceRetargetResult) {
  return (result.createServiceInput.networkConfiguration as { awsvpcConfiguration: Record<string, unknown> })
    .awsvpcConfiguration;
}

function codes(result: ServiceRetargetResult): string[] {
  return result.findings.map((f) => `${f.severity}:${f.code}`);
}

describe('retargetService', () => {
  describe('network', () => {
    it('maps subnets by the lifeboat:source-id tag, then by Name tag, and security groups by group name', () => {
      const result = retargetService(service(awsvpc(['subnet-a', 'subnet-b'], ['sg-web'])), context());
      expect(vpcConfig(result)).toEqual({
        subnets: ['subnet-dr-a', 'subnet-dr-b'],
        securityGroups: ['sg-dr-web'],
        assignPublicIp: 'DISABLED',
      });
      expect(result.findings).toMatchObject([
        { severity: 'info', code: 'SUBNET_MATCHED_BY_NAME', resource: 'subnet-b' },
        { severity: 'info', code: 'SECURITY_GROUP_MATCHED_BY_NAME', resource: 'sg-web' },
      ]);
    });

    it('prefers an explicit mapping over tags and names', () => {
      const mappings = {
        ...emptyMappings(),
        subnets: { 'subnet-a': 'subnet-dr-b' },
        securityGroups: { 'sg-web': 'sg-dr-db' },
      };
      const result = retargetService(service(awsvpc(['subnet-a'], ['sg-web'])), context({ mappings }));
      expect(vpcConfig(result)).toMatchObject({ subnets: ['subnet-dr-b'], securityGroups: ['sg-dr-db'] });
      expect(result.findings).toEqual([]);
    });

    it('blocks a subnet with no DR counterpart, naming the config key and the tag that fix it', () => {
      const result = retargetService(
        service(awsvpc(['subnet-unknown'], ['sg-db'])),
        context({ network: { ...network, subnets: [] } }),
      );
      expect(result.findings).toMatchObject([
        { severity: 'error', code: 'SUBNET_NOT_MAPPED', resource: 'subnet-unknown' },
        { severity: 'info', code: 'SECURITY_GROUP_MATCHED_BY_NAME' },
      ]);
      expect(result.findings[0]?.fix).toBe(
        'Add mappings.subnets["subnet-unknown"] = "<DR id>" to the Lifeboat config, or tag the DR subnet lifeboat:source-id=subnet-unknown.',
      );
    });

    it('blocks an explicit mapping to a subnet that does not exist in the DR region', () => {
      const mappings = { ...emptyMappings(), subnets: { 'subnet-a': 'subnet-gone' } };
      const result = retargetService(service(awsvpc(['subnet-a'], ['sg-web'])), context({ mappings }));
      expect(codes(result)).toContain('error:SUBNET_MAPPING_INVALID');
    });

    it('blocks a subnet whose Name matches subnets in two DR VPCs', () => {
      const result = retargetService(service(awsvpc(['subnet-c'], ['sg-db'])), context());
      expect(result.findings[0]).toMatchObject({
        severity: 'error',
        code: 'SUBNET_AMBIGUOUS',
        resource: 'subnet-c',
      });
      expect(result.findings[0]?.message).toContain('subnet-dr-c1, subnet-dr-c2');
    });

    it('picks the security group of the subnets VPC when its name exists in several VPCs', () => {
      const result = retargetService(
        service(awsvpc(['subnet-other'], ['sg-web'])),
        context({ mappings: { ...emptyMappings(), subnets: { 'subnet-other': 'subnet-other' } } }),
      );
      expect(vpcConfig(result)).toMatchObject({
        subnets: ['subnet-other'],
        securityGroups: ['sg-other-web'],
      });
    });

    it('blocks subnets and security groups that land in different DR VPCs', () => {
      const mappings = { ...emptyMappings(), subnets: { 'subnet-a': 'subnet-other' } };
      const result = retargetService(service(awsvpc(['subnet-a'], ['sg-db'])), context({ mappings }));
      expect(codes(result)).toContain('error:NETWORK_VPC_MISMATCH');
    });
  });

  describe('load balancing', () => {
    const loadBalancers = [
      { targetGroupArn: targetGroupArn(PRIMARY, 'web', 'p1'), containerName: 'web', containerPort: 8080 },
    ];

    it('maps a target group to the DR target group with the same name', () => {
      const result = retargetService(
        service({ ...awsvpc(['subnet-a'], ['sg-web']), loadBalancers }),
        context(),
      );
      expect(result.createServiceInput.loadBalancers).toEqual([
        { targetGroupArn: targetGroupArn(DR, 'web', 'dr1'), containerName: 'web', containerPort: 8080 },
      ]);
    });

    it('maps a target group through mappings.targetGroups, by ARN or by name', () => {
      const mappings = {
        ...emptyMappings(),
        targetGroups: { [targetGroupArn(PRIMARY, 'web', 'p1')]: 'web-blue' },
      };
      const result = retargetService(service({ loadBalancers }), context({ mappings }));
      expect(result.createServiceInput.loadBalancers).toMatchObject([
        { targetGroupArn: targetGroupArn(DR, 'web-blue', 'dr2') },
      ]);
    });

    it('blocks a target group with no DR counterpart', () => {
      const missing = [
        { targetGroupArn: targetGroupArn(PRIMARY, 'api', 'p2'), containerName: 'api', containerPort: 3000 },
      ];
      const result = retargetService(service({ loadBalancers: missing }), context());
      expect(result.findings).toMatchObject([{ severity: 'error', code: 'TARGET_GROUP_NOT_MAPPED' }]);
      expect(result.findings[0]?.fix).toContain('mappings.targetGroups');
    });

    it('blocks a target group in another VPC than the service subnets', () => {
      const mappings = { ...emptyMappings(), targetGroups: { web: 'web-blue' } };
      const result = retargetService(
        service({ ...awsvpc(['subnet-a'], ['sg-web']), loadBalancers }),
        context({ mappings }),
      );
      expect(codes(result)).toContain('error:NETWORK_VPC_MISMATCH');
    });
  });

  describe('service discovery', () => {
    it('restores without a primary-region Cloud Map registration and warns', () => {
      const registryArn = `arn:aws:servicediscovery:${PRIMARY}:${ACCOUNT}:service/srv-abc`;
      const result = retargetService(service({ serviceRegistries: [{ registryArn }] }), context());
      expect(result.createServiceInput.serviceRegistries).toBeUndefined();
      expect(result.findings).toMatchObject([
        { severity: 'warning', code: 'SERVICE_REGISTRY_NOT_RESTORED', resource: registryArn },
      ]);
      expect(result.changes).toEqual([
        { path: 'serviceRegistries', from: JSON.stringify([{ registryArn }]), to: null },
      ]);
    });

    it('keeps a Service Connect namespace named by name and moves its log configuration', () => {
      const result = retargetService(
        service({
          serviceConnectConfiguration: {
            enabled: true,
            namespace: 'shop.local',
            logConfiguration: {
              logDriver: 'awslogs',
              options: { 'awslogs-group': '/ecs/service-connect', 'awslogs-region': PRIMARY },
            },
          },
        }),
        context(),
      );
      expect(result.createServiceInput.serviceConnectConfiguration).toMatchObject({
        namespace: 'shop.local',
        logConfiguration: { options: { 'awslogs-region': DR } },
      });
      expect(result.logGroups).toEqual(['/ecs/service-connect']);
      expect(result.findings).toMatchObject([
        { severity: 'warning', code: 'SERVICE_CONNECT_NAMESPACE_REQUIRED', resource: 'shop.local' },
      ]);
    });

    it('restores without Service Connect when its namespace is a primary-region ARN, and warns', () => {
      const namespace = `arn:aws:servicediscovery:${PRIMARY}:${ACCOUNT}:namespace/ns-abc`;
      const result = retargetService(
        service({ serviceConnectConfiguration: { enabled: true, namespace } }),
        context(),
      );
      expect(result.createServiceInput.serviceConnectConfiguration).toBeUndefined();
      expect(codes(result)).toEqual(['warning:SERVICE_CONNECT_NAMESPACE_NOT_MAPPED']);
    });
  });

  describe('managed EBS volumes', () => {
    const volumeConfigurations = (kmsKeyId: string) => [
      {
        name: 'data',
        managedEBSVolume: {
          snapshotId: 'snap-primary',
          kmsKeyId,
          encrypted: true,
          sizeInGiB: 100,
          roleArn: `arn:aws:iam::${ACCOUNT}:role/ecsInfrastructureRole`,
        },
      },
    ];
    const record = {
      kind: 'managed' as const,
      clusterName: 'shop',
      serviceName: 'web',
      volumeName: 'data',
      sourceVolumeId: 'vol-1',
      drSnapshotId: 'snap-dr',
      sizeGiB: 100,
      tags: [],
    };

    it('creates the volume from the DR snapshot, drops a single-region KMS key with a warning and collects the role', () => {
      const key = `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
      const result = retargetService(
        service({ volumeConfigurations: volumeConfigurations(key) }),
        context({ ebsVolumes: [record] }),
      );
      expect(result.createServiceInput.volumeConfigurations).toEqual([
        {
          name: 'data',
          managedEBSVolume: {
            snapshotId: 'snap-dr',
            encrypted: true,
            sizeInGiB: 100,
            roleArn: `arn:aws:iam::${ACCOUNT}:role/ecsInfrastructureRole`,
          },
        },
      ]);
      expect(codes(result)).toEqual(['warning:KMS_KEY_NOT_IN_DR']);
      expect(result.roles).toEqual([`arn:aws:iam::${ACCOUNT}:role/ecsInfrastructureRole`]);
    });

    it('moves a multi-region KMS key to its DR replica', () => {
      const key = `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef`;
      const result = retargetService(
        service({ volumeConfigurations: volumeConfigurations(key) }),
        context({ ebsVolumes: [record] }),
      );
      expect(result.createServiceInput.volumeConfigurations).toMatchObject([
        {
          managedEBSVolume: {
            kmsKeyId: `arn:aws:kms:${DR}:${ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef`,
          },
        },
      ]);
      expect(result.findings).toEqual([]);
    });

    it('encrypts the volume with the DR copy key the recovery point records, replacing the primary key', () => {
      const primaryKey = `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
      const drKey = `arn:aws:kms:${DR}:${ACCOUNT}:key/0000aaaa-1111-2222-3333-444455556666`;
      const result = retargetService(
        service({ volumeConfigurations: volumeConfigurations(primaryKey) }),
        context({ ebsVolumes: [{ ...record, drKmsKeyId: drKey }] }),
      );
      expect(result.createServiceInput.volumeConfigurations).toMatchObject([
        { name: 'data', managedEBSVolume: { snapshotId: 'snap-dr', kmsKeyId: drKey, encrypted: true } },
      ]);
      expect(result.findings).toEqual([]);
      expect(result.changes).toContainEqual({
        path: 'volumeConfigurations[0].managedEBSVolume.kmsKeyId',
        from: primaryKey,
        to: drKey,
      });
    });

    it('encrypts with the DR copy key even when the source volume was not encrypted', () => {
      const drKey = `arn:aws:kms:${DR}:${ACCOUNT}:key/0000aaaa-1111-2222-3333-444455556666`;
      const result = retargetService(
        service({
          volumeConfigurations: [
            { name: 'data', managedEBSVolume: { snapshotId: 'snap-primary', encrypted: false } },
          ],
        }),
        context({ ebsVolumes: [{ ...record, drKmsKeyId: drKey }] }),
      );
      expect(result.createServiceInput.volumeConfigurations).toEqual([
        { name: 'data', managedEBSVolume: { snapshotId: 'snap-dr', encrypted: true, kmsKeyId: drKey } },
      ]);
    });

    it('blocks a managed volume without a DR snapshot rather than start on an empty volume', () => {
      const result = retargetService(
        service({ volumeConfigurations: volumeConfigurations('alias/aws/ebs') }),
        context({ ebsVolumes: [{ ...record, drSnapshotId: undefined }] }),
      );
      expect(result.findings).toMatchObject([
        { severity: 'error', code: 'EBS_SNAPSHOT_NOT_IN_DR', resource: 'vol-1' },
      ]);
      expect(result.findings[0]?.message).toContain('empty volume');
    });
  });

  describe('capacity', () => {
    it('warns that an Auto Scaling group capacity provider must exist in the DR cluster', () => {
      const result = retargetService(
        service({
          launchType: undefined,
          capacityProviderStrategy: [
            { capacityProvider: 'FARGATE', weight: 1 },
            { capacityProvider: 'shop-asg', weight: 1 },
          ],
        }),
        context(),
      );
      expect(result.findings).toMatchObject([
        { severity: 'warning', code: 'CAPACITY_PROVIDER_NOT_IN_DR', resource: 'shop-asg' },
      ]);
    });

    it('warns that the EC2 launch type needs container instances in the DR cluster', () => {
      const result = retargetService(service({ launchType: 'EC2' }), context());
      expect(codes(result)).toEqual(['warning:CONTAINER_INSTANCES_REQUIRED']);
    });
  });

  it('sets the DR cluster and desired count and tags the service with the deployment and the recovery point', () => {
    const result = retargetService(
      service({
        tags: [
          { key: 'team', value: 'web' },
          { key: 'lifeboat:deployment', value: 'other-deployment' },
          { key: 'lifeboat:recovery-point', value: 'rp-old' },
        ],
      }),
      context({ desiredCount: 2 }),
    );
    expect(result.createServiceInput).toMatchObject({
      serviceName: 'web',
      cluster: 'shop',
      desiredCount: 2,
      tags: [
        { key: 'team', value: 'web' },
        { key: 'lifeboat:deployment', value: DEPLOYMENT_ID },
        { key: 'lifeboat:recovery-point', value: RECOVERY_POINT_ID },
      ],
    });
    expect(result.findings).toEqual([]);
  });

  it('keeps the provenance tags on a service with 50 tags, dropping its last two with a warning', () => {
    const tags = Array.from({ length: 50 }, (_, i) => ({ key: `t${i}`, value: String(i) }));
    const result = retargetService(service({ tags }), context());
    const restored = result.createServiceInput.tags as { key: string; value: string }[];
    expect(restored).toHaveLength(50);
    expect(restored.slice(-2)).toEqual([
      { key: 'lifeboat:deployment', value: DEPLOYMENT_ID },
      { key: 'lifeboat:recovery-point', value: RECOVERY_POINT_ID },
    ]);
    expect(result.findings).toMatchObject([
      { severity: 'warning', code: 'TAGS_DROPPED', resource: 'shop/web' },
    ]);
    expect(result.findings[0]?.message).toContain('without t48, t49');
  });

  it('sets no desired count on a DAEMON service', () => {
    const result = retargetService(
      service({ desiredCount: undefined, schedulingStrategy: 'DAEMON', launchType: 'EC2' }),
      context(),
    );
    expect(result.createServiceInput).not.toHaveProperty('desiredCount');
  });

  it('reports placement constraints that name primary-region availability zones', () => {
    const result = retargetService(
      service({
        placementConstraints: [
          { type: 'memberOf', expression: `attribute:ecs.availability-zone == ${PRIMARY}a` },
        ],
      }),
      context(),
    );
    expect(result.findings).toMatchObject([
      {
        severity: 'warning',
        code: 'PRIMARY_REGION_REFERENCE',
        resource: 'placementConstraints[0].expression',
      },
    ]);
  });

  const services = fc
    .record({
      subnets: fc.array(fc.constantFrom('subnet-a', 'subnet-b', 'subnet-c', 'subnet-x', 'subnet-dr-a'), {
        maxLength: 3,
      }),
      groups: fc.array(fc.constantFrom('sg-web', 'sg-db', 'sg-x'), { maxLength: 2 }),
      targetGroups: fc.array(
        fc.constantFrom(targetGroupArn(PRIMARY, 'web', 'p1'), targetGroupArn(PRIMARY, 'x', 'p2')),
        {
          maxLength: 2,
        },
      ),
      registries: fc.array(fc.constantFrom(PRIMARY, DR), { maxLength: 2 }),
      extra: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
    })
    .map(({ subnets, groups, targetGroups, registries, extra }) =>
      service({
        ...extra,
        ...awsvpc(subnets, groups),
        loadBalancers: targetGroups.map((arn) => ({
          targetGroupArn: arn,
          containerName: 'web',
          containerPort: 80,
        })),
        serviceRegistries: registries.map((region) => ({
          registryArn: `arn:aws:servicediscovery:${region}:${ACCOUNT}:service/srv-1`,
        })),
      }),
    );

  it('is idempotent: retargeting a retargeted service changes nothing more', () => {
    fc.assert(
      fc.property(services, (input) => {
        const once = retargetService(input, context()).createServiceInput;
        const twice = retargetService(once, context()).createServiceInput;
        expect(twice).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary shapes that pass the manifest schema', () => {
    const loose = fc
      .tuple(fc.string({ minLength: 1 }), fc.dictionary(fc.string(), fc.jsonValue()))
      .map(([serviceName, rest]) => ({ ...rest, serviceName }))
      .filter((s) => createServiceInputSchema.safeParse(s).success)
      .map((s) => createServiceInputSchema.parse(s));
    fc.assert(
      fc.property(loose, (input) => {
        expect(() => retargetService(input, context())).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
