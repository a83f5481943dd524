import { describe, expect, it } from 'vitest';
import { InvalidRestoreInputError } from '../../../src/restore/errors';
import { parseRestoreInput } from '../../../src/restore/input';
import { type PlanContext, planRestore, type RestorePlan } from '../../../src/restore/plan';
import {
  ACCOUNT,
  DEPLOYMENT_ID,
  DR,
  emptyMappings,
  shopFleetInventory,
  shopFleetManifest,
} from '../../support/manifest-builder';

const SOURCE_FS = 'fs-0123456789abcdef0';
const REPLICA = 'fs-0fedcba9876543210';

function plan(raw: Record<string, unknown>, ctx: Partial<PlanContext> = {}): RestorePlan {
  return planRestore(shopFleetManifest(), parseRestoreInput(raw), {
    drRegion: DR,
    account: ACCOUNT,
    deploymentId: DEPLOYMENT_ID,
    mappings: emptyMappings(),
    inventory: shopFleetInventory(),
    ...ctx,
  });
}

const efsFindings = (p: RestorePlan) => p.findings.filter((f) => f.code.startsWith('EFS_') && !f.service);

describe('planRestore: EFS promotion', () => {
  it('warns that the tasks mount the read-only replica when the input does not promote it, and names the flag', () => {
    const p = plan({});

    expect(p.efsFileSystems).toEqual([
      { sourceFileSystemId: SOURCE_FS, drFileSystemId: REPLICA, services: ['shop/web'], promote: false },
    ]);
    expect(efsFindings(p)).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'EFS_NOT_PROMOTED', resource: REPLICA }),
    ]);
    const [finding] = efsFindings(p);
    expect(finding?.message).toContain('read-only');
    expect(finding?.message).toContain('shop/web');
    expect(finding?.fix).toContain('"promoteFileSystems": true');
    expect(finding?.fix).toContain('--promote-file-systems');
    expect(finding?.fix).toContain('stops replicating');
  });

  it('says which replication it deletes when the input promotes file systems', () => {
    const p = plan({ dryRun: false, promoteFileSystems: true });

    expect(p.efsFileSystems.map((fs) => [fs.drFileSystemId, fs.promote])).toEqual([[REPLICA, true]]);
    expect(efsFindings(p)).toEqual([
      expect.objectContaining({ severity: 'info', code: 'EFS_PROMOTED', resource: REPLICA }),
    ]);
    expect(efsFindings(p)[0]?.message).toContain(`${SOURCE_FS} to its replica ${REPLICA}`);
  });

  it('neither promotes nor warns about a file system the operator maps (mappings.efsFileSystems: their own)', () => {
    const mappings = { ...emptyMappings(), efsFileSystems: { [SOURCE_FS]: 'fs-0manual0000000001' } };

    for (const raw of [{}, { dryRun: false, promoteFileSystems: true }]) {
      const p = plan(raw, { mappings });
      expect(p.efsFileSystems.map((fs) => [fs.drFileSystemId, fs.promote])).toEqual([
        ['fs-0manual0000000001', false],
      ]);
      expect(efsFindings(p)).toEqual([]);
    }
  });

  it('plans a drill (desiredCountPercent 0) without promotion', () => {
    const p = plan({ desiredCountPercent: 0 });

    expect(p.efsFileSystems.every((fs) => !fs.promote)).toBe(true);
    expect(efsFindings(p).map((f) => f.code)).toEqual(['EFS_NOT_PROMOTED']);
  });
});

describe('parseRestoreInput: promoteFileSystems', () => {
  it('defaults to false, so an ordinary failover leaves replication in place', () => {
    expect(parseRestoreInput({}).promoteFileSystems).toBe(false);
  });

  it('fails for a drill (desiredCountPercent 0), naming the field and why', () => {
    const error = (() => {
      try {
        parseRestoreInput({ dryRun: false, desiredCountPercent: 0, promoteFileSystems: true });
      } catch (e) {
        return e;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(InvalidRestoreInputError);
    expect((error as Error).message).toContain('promoteFileSystems');
    expect((error as Error).message).toContain('drill');
  });

  it('fails for a dry run', () => {
    expect(() => parseRestoreInput({ dryRun: true, promoteFileSystems: true })).toThrow(/dry run/);
  });
});
