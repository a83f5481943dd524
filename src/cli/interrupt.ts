/** The workflow execution a command is following, for what to say when it is interrupted. */
export interface RunningExecution {
  readonly workflow: 'backup' | 'restore';
  /** `local`: the engine runs in this process (it stops with it); `deployed`: in AWS (it goes on). */
  readonly mode: 'local' | 'deployed';
  readonly executionName: string;
  /** Region of the state machine: the primary region for a backup, the DR region for a restore. */
  readonly region: string;
}

/** Exit code of a command stopped by SIGINT (Ctrl-C), as shells report it; SIGTERM is 143. */
export const INTERRUPTED_EXIT_CODE = 130;

/** Commands that change nothing (what `interruptionNote` may say so of). */
const READ_ONLY = new Set([
  'status',
  'plan',
  'recovery-points list',
  'recovery-points show',
  'recovery-points pins',
]);

/**
 * What an interrupted command did and how to go on: `running` is the execution it was following
 * (`undefined`: it had not started one, so nothing was changed by a workflow).
 */
export function interruptionNote(command: string | undefined, running: RunningExecution | undefined): string {
  if (!running) {
    if (command === 'backup' || command === 'failover') {
      return `Interrupted (lifeboat ${command}) before its workflow started: nothing was ${command === 'backup' ? 'backed up' : 'restored'}.`;
    }
    const what = command ? ` (lifeboat ${command})` : '';
    return READ_ONLY.has(command ?? '')
      ? `Interrupted${what}: it only reads, nothing was changed.`
      : `Interrupted${what}: what it finished stays; running it again is safe.`;
  }
  const { executionName: name, region } = running;
  if (running.mode === 'deployed') {
    const what = running.workflow === 'backup' ? 'backup' : 'restore';
    return (
      `Interrupted: stopped following the ${what} execution ${name}; it goes on in the ${what} state machine in ${region} ` +
      `(see it in the Step Functions console; stop it there or with \`aws stepfunctions stop-execution\`). ` +
      (what === 'restore'
        ? 'Its report is written when it ends; `lifeboat failover` is refused while it runs.'
        : 'Its recovery point is committed when it ends; `lifeboat recovery-points list` shows it.')
    );
  }
  if (running.workflow === 'backup') {
    return (
      `Interrupted: the backup execution ${name} stopped before committing; no recovery point was committed by it. ` +
      'What it staged and the snapshots it started are removed by the retention step of the next `lifeboat backup`; run it again.'
    );
  }
  return (
    `Interrupted: the restore execution ${name} stopped; services it already created or updated in ${region} stay, ` +
    'the later waves did not run and no report was written. Run the same `lifeboat failover` again to resume: ' +
    'services already restored are left unchanged, and it takes over the failover lease this run held.'
  );
}
