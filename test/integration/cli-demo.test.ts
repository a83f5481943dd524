import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve(__dirname, '../../bin/lifeboat.js');

describe('lifeboat demo (subprocess, its own emulator)', () => {
  it('demo --json backs up, loses the primary region, fails over, and reports restored services with RPO and RTO', async () => {
    // A directory without cdk.json: the demo reads no configuration.
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-demo-'));
    try {
      const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
        (done) => {
          execFile(
            process.execPath,
            [BIN, 'demo', '--json'],
            { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeout: 170_000 },
            (error, out, err) => {
              done({
                code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
                stdout: out,
                stderr: err,
              });
            },
          );
        },
      );
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
      expect(stderr).toContain('Stopping the emulator');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
