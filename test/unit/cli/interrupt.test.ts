import { describe, expect, it } from 'vitest';
import { interruptionNote } from '../../../src/cli/interrupt';

describe('interruptionNote', () => {
  const local = { mode: 'local', executionName: 'local-1', region: 'us-west-2' } as const;

  it('says a local restore stopped, what stays and that running it again resumes', () => {
    const note = interruptionNote('failover', { ...local, workflow: 'restore' });
    expect(note).toContain('services it already created or updated in us-west-2 stay');
    expect(note).toContain('Run the same `lifeboat failover` again to resume');
  });

  it('says a local backup committed nothing and the next backup cleans up', () => {
    expect(interruptionNote('backup', { ...local, workflow: 'backup' })).toContain(
      'no recovery point was committed by it',
    );
  });

  it('says a deployed execution goes on, where and how to stop it', () => {
    const note = interruptionNote('failover', {
      ...local,
      mode: 'deployed',
      executionName: 'cli-1',
      workflow: 'restore',
    });
    expect(note).toContain('it goes on in the restore state machine in us-west-2');
    expect(note).toContain('aws stepfunctions stop-execution');
    expect(note).toContain('`lifeboat failover` is refused while it runs');
  });

  it('tells read-only commands from others when no workflow ran', () => {
    expect(interruptionNote('recovery-points list', undefined)).toBe(
      'Interrupted (lifeboat recovery-points list): it only reads, nothing was changed.',
    );
    expect(interruptionNote('recovery-points prune', undefined)).toContain('running it again is safe');
    expect(interruptionNote('backup', undefined)).toContain('nothing was backed up');
    expect(interruptionNote(undefined, undefined)).toContain('Interrupted: ');
  });
});
