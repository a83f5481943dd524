import { describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../support/cli';
import { useEmulator } from '../support/emulator';

// Issue 15, finding 3: a backup of a fleet where no service matches the selection commits
// nothing, so the catalog never holds a "complete" recovery point that restores no service.

const ctx = useEmulator();
const { lifeboat, onEmulator } = useCliWorkspace(ctx, { prefix: 'lifeboat-cli-empty-', timeoutMs: 60_000 });

describe('lifeboat CLI against an empty fleet (subprocess)', () => {
  it('backup exits 1 with NothingToBackUpError, naming the selection and how to fix it', async () => {
    const { code, stdout, stderr } = await lifeboat(onEmulator('backup', '--json'));
    expect(code).toBe(1);
    const { error } = JSON.parse(stdout);
    expect(error).toMatchObject({ name: 'BackupExecutionError', exitCode: 1 });
    expect(error.message).toContain('with NothingToBackUpError');
    expect(error.message).toContain('No ECS service in us-east-1 matches the backup selection');
    expect(error.message).toContain(
      'lifeboat.selection: tags {"lifeboat:backup":"true"}, include ["*/*"], exclude []',
    );
    expect(error.message).toContain('no ECS cluster was found');
    expect(error.message).toContain('no recovery point was committed');
    expect(error.message).toContain('lifeboat:backup=true');
    expect(stderr).toContain('NothingToBackUpError');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('recovery-points list --json shows no recovery point', async () => {
    const { code, stdout } = await lifeboat(onEmulator('recovery-points', 'list', '--json'));
    expect(code).toBe(0);
    expect(JSON.parse(stdout).recoveryPoints).toEqual([]);
  });

  it('status exits 5: there is no complete recovery point', async () => {
    const { code, stdout } = await lifeboat(onEmulator('status', '--json'));
    expect(code).toBe(5);
    expect(JSON.parse(stdout)).toMatchObject({ rpoMet: false, latestComplete: null });
  });
});
