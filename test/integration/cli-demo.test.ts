import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';

describe('lifeboat demo (subprocess, its own emulator)', () => {
  it('demo --json backs up (EBS volumes included), loses the primary region, fails over, and reports restored services and volumes with RPO and RTO', async () => {
    // A directory without cdk.json: the demo reads no configuration.
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-demo-'));
    try {
      const { code, stdout, stderr } = await runCli(['demo', '--json'], { cwd: dir, timeoutMs: 170_000 });
      expect(code, stderr).toBe(0);
      const doc = JSON.parse(stdout);
      expect(doc.recoveryPoint.status).toBe('complete');
      expect(doc.primaryLoss.deletedServices.length).toBeGreaterThan(0);
      const blocked: string[] = doc.plan.blocked.map((b: { service: string }) => b.service);
      expect(doc.summary.restored.length).toBeGreaterThan(0);
      expect([...doc.summary.restored, ...blocked].sort()).toEqual([...doc.fleet.selected].sort());
      expect(doc.summary.notRestored.map((n: { service: string }) => n.service)).toEqual(blocked);
      expect(doc.summary.rpoSeconds).toBeGreaterThanOrEqual(0);
      expect(doc.summary.rtoSeconds).toBeGreaterThan(0);
      expect(doc.summary.allRestorableRestored).toBe(true);
      for (const s of doc.failover.services as { taskDefinition: string; images: string[] }[]) {
        expect(s.taskDefinition).toMatch(/^[\w-]+:\d+$/);
        expect(s.images.length).toBeGreaterThan(0);
      }
      // The backup workflow copied both EBS volumes; the failover created the standalone one.
      expect(doc.backup.execution).toMatchObject({ status: 'SUCCEEDED' });
      const backedUp: { service: string; kind: string; drSnapshotId?: string }[] = doc.backup.volumes;
      expect(backedUp.map((v) => `${v.service} ${v.kind}`)).toEqual([
        'payments/ledger managed',
        'payments/reconciler standalone',
      ]);
      for (const v of backedUp) expect(v.drSnapshotId).toMatch(/^snap-/);
      const restored: { service: string; kind: string; drSnapshotId?: string; outcome: string }[] =
        doc.failover.volumes;
      expect(restored.find((v) => v.kind === 'standalone')).toMatchObject({
        service: 'payments/reconciler',
        drSnapshotId: backedUp[1]?.drSnapshotId,
        outcome: 'created',
      });
      expect(stderr).toContain('Stopping the emulator');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
