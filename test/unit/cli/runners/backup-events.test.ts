import { describe, expect, it } from 'vitest';
import { BACKUP_STATES } from '../../../../lib/workflows/backup-workflow';
import { BackupSteps, backupPhaseOf } from '../../../../src/cli/runners/backup-events';
import type { WorkflowEvent } from '../../../../src/cli/runners/workflow-runner';

const exited = (stateName: string, output: unknown): WorkflowEvent => ({
  type: 'StateExited',
  stateName,
  output,
});
const entered = (stateName: string): WorkflowEvent => ({ type: 'StateEntered', stateName });

const capture = { recoveryPointId: 'rp-1', status: 'complete', services: 2, volumes: 1, done: false };
const tick = (done: boolean) => ({ recoveryPointId: 'rp-1', done, counts: { completed: done ? 1 : 0 } });
const commit = { recoveryPointId: 'rp-1', status: 'complete', key: 'recovery-points/rp-1.json' };

describe('BackupSteps', () => {
  it('tells each step of the workflow by the state that exits, counting the copy ticks', () => {
    const steps = new BackupSteps();
    const events = [
      entered(BACKUP_STATES.capture),
      exited(BACKUP_STATES.capture, capture),
      exited(BACKUP_STATES.copiesDone, capture),
      exited(BACKUP_STATES.waitForCopies, capture),
      exited(BACKUP_STATES.copyVolumes, tick(false)),
      exited(BACKUP_STATES.copyVolumes, tick(true)),
      exited(BACKUP_STATES.commit, commit),
    ];

    const told = events.map((e) => steps.next(e));

    expect(told).toEqual([
      undefined,
      { step: 'capture', result: capture },
      undefined,
      undefined,
      { step: 'copy', tick: 1, result: tick(false) },
      { step: 'copy', tick: 2, result: tick(true) },
      { step: 'commit', result: commit },
    ]);
    expect(steps.capture).toEqual(capture);
    expect(steps.ticks).toEqual([tick(false), tick(true)]);
    expect(steps.commit).toEqual(commit);
  });

  it('has no commit while Commit has not exited', () => {
    const steps = new BackupSteps();
    steps.next(exited(BACKUP_STATES.capture, capture));
    steps.next(entered(BACKUP_STATES.commit));
    expect(steps.commit).toBeUndefined();
  });
});

describe('backupPhaseOf', () => {
  it('tells the wait before a copy tick and the commit starting, nothing else', () => {
    expect(backupPhaseOf(entered(BACKUP_STATES.waitForCopies))).toBe('waiting-for-copies');
    expect(backupPhaseOf(entered(BACKUP_STATES.commit))).toBe('committing');
    expect(backupPhaseOf(entered(BACKUP_STATES.capture))).toBeUndefined();
    expect(backupPhaseOf(exited(BACKUP_STATES.commit, commit))).toBeUndefined();
  });
});
