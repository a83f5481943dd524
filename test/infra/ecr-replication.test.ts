import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { EcrReplication } from '../../lib/constructs/ecr-replication';
import { InfrastructureError } from '../../lib/errors';
import { onlyResource, removeTestApps, sampleConfig, synthLifeboat } from './support/synth';

afterAll(removeTestApps);

const ENV = { account: '123456789012', region: 'us-east-1' };

function replication(props: ConstructorParameters<typeof EcrReplication>[2], env: object = ENV) {
  const stack = new Stack(new App(), 'Stack', { env });
  const construct = new EcrReplication(stack, 'Replication', props);
  return { construct, template: Template.fromStack(stack) };
}

describe('EcrReplication', () => {
  it('replicates the prefixed repositories to the same account in the DR region', () => {
    const { template } = replication({
      destinationRegion: 'us-west-2',
      repositoryPrefixes: ['shop/', 'payments'],
    });

    template.resourceCountIs('AWS::ECR::ReplicationConfiguration', 1);
    template.hasResourceProperties('AWS::ECR::ReplicationConfiguration', {
      ReplicationConfiguration: {
        Rules: [
          {
            Destinations: [{ Region: 'us-west-2', RegistryId: '123456789012' }],
            RepositoryFilters: [
              { Filter: 'shop/', FilterType: 'PREFIX_MATCH' },
              { Filter: 'payments', FilterType: 'PREFIX_MATCH' },
            ],
          },
        ],
      },
    });
  });

  it('replicates every repository when no prefix is given', () => {
    const { template, construct } = replication({ destinationRegion: 'us-west-2' });

    const { properties } = onlyResource(template, 'AWS::ECR::ReplicationConfiguration');
    expect(properties).toEqual({
      ReplicationConfiguration: {
        Rules: [{ Destinations: [{ Region: 'us-west-2', RegistryId: '123456789012' }] }],
      },
    });
    expect(construct.rules).toEqual([
      { destinations: [{ region: 'us-west-2', registryId: '123456789012' }] },
    ]);
  });

  it('fails when the destination is the stack region', () => {
    expect(() => replication({ destinationRegion: 'us-east-1' })).toThrow(InfrastructureError);
    expect(() => replication({ destinationRegion: 'us-east-1' })).toThrow(/destinationRegion must differ/);
  });

  it('fails when there are more than 100 prefixes', () => {
    const prefixes = Array.from({ length: 101 }, (_, i) => `team-${i}/`);
    expect(() => replication({ destinationRegion: 'us-west-2', repositoryPrefixes: prefixes })).toThrow(
      /at most 100/,
    );
  });

  it('fails in a stack without an explicit env', () => {
    expect(() => replication({ destinationRegion: 'us-west-2' }, {})).toThrow(/explicit env/);
  });
});

describe('BackupStack images', () => {
  it('configures ECR replication only when lifeboat.images.replication.manage is true', () => {
    const unmanaged = synthLifeboat(sampleConfig());
    unmanaged.backup.resourceCountIs('AWS::ECR::ReplicationConfiguration', 0);

    const managed = synthLifeboat(
      sampleConfig({ images: { replication: { manage: true, repositoryPrefixes: ['shop/'] } } }),
    );
    managed.backup.hasResourceProperties('AWS::ECR::ReplicationConfiguration', {
      ReplicationConfiguration: {
        Rules: [
          {
            Destinations: [
              { Region: managed.stacks.recovery.region, RegistryId: managed.stacks.backup.account },
            ],
            RepositoryFilters: [{ Filter: 'shop/', FilterType: 'PREFIX_MATCH' }],
          },
        ],
      },
    });
  });

  it('gives repositories created by replication in the DR region a creation template, only when replication is managed', () => {
    synthLifeboat(sampleConfig()).recovery.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 0);
    const managed = synthLifeboat(
      sampleConfig({ images: { replication: { manage: true, repositoryPrefixes: [] } } }),
    );
    managed.recovery.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
      Prefix: 'ROOT',
      AppliedFor: ['REPLICATION'],
      ImageTagMutability: 'MUTABLE',
      EncryptionConfiguration: { EncryptionType: 'AES256' },
    });
  });

  it('lets the capture role copy images, in a policy of its own: backfill in the primary region, read in the primary registry, write only to DR repositories', () => {
    const { backup, stacks } = synthLifeboat(sampleConfig());
    const { account, region } = stacks.backup;
    const dr = stacks.recovery.region;
    backup.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Sid: 'StartEcrReplicationBackfill',
            Effect: 'Allow',
            Action: ['ecr:DescribeRegistry', 'ecr:StartReplicationBackfill'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:RequestedRegion': region } },
          },
          {
            Sid: 'ReadEcrImagesToCopy',
            Effect: 'Allow',
            Action: ['ecr:DescribeRepositories', 'ecr:GetDownloadUrlForLayer'],
            Resource: `arn:aws:ecr:${region}:${account}:repository/*`,
          },
          {
            Sid: 'VerifyAndCopyImagesInDrRegistry',
            Effect: 'Allow',
            Action: [
              'ecr:BatchCheckLayerAvailability',
              'ecr:BatchGetImage',
              'ecr:CompleteLayerUpload',
              'ecr:CreateRepository',
              'ecr:DescribeImages',
              'ecr:InitiateLayerUpload',
              'ecr:PutImage',
              'ecr:TagResource',
              'ecr:UploadLayerPart',
            ],
            Resource: `arn:aws:ecr:${dr}:${account}:repository/*`,
          },
        ],
      },
    });
  });
});
