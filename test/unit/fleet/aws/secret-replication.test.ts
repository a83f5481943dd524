import {
  DescribeSecretCommand,
  ReplicateSecretToRegionsCommand,
  ResourceExistsException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { replicateSecrets } from '../../../../src/fleet/aws/secret-replication';

/** The paths of `replicateSecrets` the emulator cannot produce (customer keys, denials), with aws-sdk-client-mock. */

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db-AbCdEf';
const DR_ARN = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:shop/db-AbCdEf';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const DR_KEY = 'arn:aws:kms:us-west-2:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321';

const mock = mockClient(SecretsManagerClient);
const secrets = new SecretsManagerClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
});

function run(kmsKeys: Record<string, string> = {}) {
  return replicateSecrets({
    secrets,
    primaryRegion: 'us-east-1',
    drRegion: 'us-west-2',
    secretArns: [ARN],
    replicate: true,
    kmsKeys,
    concurrency: 2,
  });
}

beforeEach(() => mock.reset());
afterAll(() => mock.restore());

describe('replicateSecrets (aws-sdk-client-mock)', () => {
  it('encrypts the replica with the DR key mappings.kmsKeys names for the primary key', async () => {
    mock.on(DescribeSecretCommand).resolves({ ARN, KmsKeyId: KEY });
    mock
      .on(ReplicateSecretToRegionsCommand)
      .resolves({ ARN, ReplicationStatus: [{ Region: 'us-west-2', Status: 'InProgress' }] });

    const { records, warnings } = await run({ [KEY]: DR_KEY });

    expect(records).toEqual([{ arn: ARN, drArn: DR_ARN, replication: 'replicated', kmsKeyId: DR_KEY }]);
    expect(warnings).toEqual([]);
    expect(mock.commandCalls(ReplicateSecretToRegionsCommand)[0]?.args[0].input).toEqual({
      SecretId: ARN,
      AddReplicaRegions: [{ Region: 'us-west-2', KmsKeyId: DR_KEY }],
    });
  });

  it('warns when a customer managed key has no DR key, and replicates with aws/secretsmanager', async () => {
    mock.on(DescribeSecretCommand).resolves({ ARN, KmsKeyId: KEY });
    mock.on(ReplicateSecretToRegionsCommand).resolves({ ARN, ReplicationStatus: [] });

    const { records, warnings } = await run();

    expect(records).toEqual([{ arn: ARN, drArn: DR_ARN, replication: 'replicated' }]);
    expect(warnings.map((w) => w.code)).toEqual(['SecretReplicaKeyNotMapped']);
    expect(mock.commandCalls(ReplicateSecretToRegionsCommand)[0]?.args[0].input.AddReplicaRegions).toEqual([
      { Region: 'us-west-2' },
    ]);
  });

  it('records failed with a warning when a DR secret of the same name exists', async () => {
    mock.on(DescribeSecretCommand).resolves({ ARN });
    mock
      .on(ReplicateSecretToRegionsCommand)
      .rejects(new ResourceExistsException({ message: 'exists', $metadata: {} }));

    const { records, warnings } = await run();

    expect(records).toEqual([{ arn: ARN, drArn: DR_ARN, replication: 'failed' }]);
    expect(warnings).toEqual([
      { resourceId: ARN, code: 'ResourceExistsException', message: expect.any(String) },
    ]);
  });

  it('records failed with a warning when DescribeSecret is denied, and replicates nothing', async () => {
    mock.on(DescribeSecretCommand).rejects(
      new SecretsManagerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'denied',
        $metadata: {},
      }),
    );

    const { records, warnings } = await run();

    expect(records).toEqual([{ arn: ARN, drArn: DR_ARN, replication: 'failed' }]);
    expect(warnings.map((w) => w.code)).toEqual(['AccessDeniedException']);
    expect(mock.commandCalls(ReplicateSecretToRegionsCommand)).toHaveLength(0);
  });
});
