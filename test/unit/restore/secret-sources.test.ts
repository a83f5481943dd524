import { describe, expect, it } from 'vitest';
import type { SecretReplicationRecord } from '../../../src/catalog/manifest';
import { planSecretSources } from '../../../src/restore/secret-sources';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db-AbCdEf';
const DR_ARN = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:shop/db-AbCdEf';
const HAND_MADE = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:shop/db-XyZ123';

function record(replication: SecretReplicationRecord['replication']): SecretReplicationRecord {
  return { arn: ARN, drArn: DR_ARN, replication };
}

describe('planSecretSources', () => {
  it('takes mappings.secrets first', () => {
    expect(planSecretSources([record('replicated')], { [ARN]: HAND_MADE }, [DR_ARN])).toEqual([
      { sourceArn: ARN, drArn: HAND_MADE, source: 'mapping' },
    ]);
  });

  it('uses the replica the DR inventory holds', () => {
    expect(planSecretSources([record('not-replicated')], {}, [DR_ARN])).toEqual([
      { sourceArn: ARN, drArn: DR_ARN, source: 'replica' },
    ]);
  });

  it('trusts the backup record when the inventory did not read secrets', () => {
    expect(planSecretSources([record('replica-exists')], {}, undefined)).toEqual([
      { sourceArn: ARN, drArn: DR_ARN, source: 'replica' },
    ]);
    expect(planSecretSources([record('failed')], {}, undefined)).toEqual([
      { sourceArn: ARN, drArn: DR_ARN, source: 'missing' },
    ]);
  });

  it('falls back to a DR secret of the same name, then missing', () => {
    expect(planSecretSources([record('replicated')], {}, [HAND_MADE])).toEqual([
      { sourceArn: ARN, drArn: HAND_MADE, source: 'same-name' },
    ]);
    expect(planSecretSources([record('replicated')], {}, [])).toEqual([
      { sourceArn: ARN, drArn: DR_ARN, source: 'missing' },
    ]);
  });
});
