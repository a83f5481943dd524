import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';

// `lifeboat completion bash|zsh` (issue 15, finding 8): the scripts the binary prints, loaded
// into the real shells and asked what completes after the words typed so far.

/** zsh is not on every machine (.ci/run installs Debian's package); its cases are skipped without it. */
const HAS_ZSH = (() => {
  try {
    execFileSync('zsh', ['-c', 'true']);
    return true;
  } catch {
    return false;
  }
})();

let dir: string;
const scripts: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-completion-'));
  for (const shell of ['bash', 'zsh']) {
    const run = await runCli(['completion', shell], { cwd: dir, timeoutMs: 30_000 });
    expect(run.code).toBe(0);
    scripts[shell] = join(dir, `lifeboat.${shell}`);
    writeFileSync(scripts[shell], run.stdout);
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What bash completes for `words` (the last one is the word being typed). */
function bashCompletes(words: readonly string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', [
    '-c',
    `source "$1"; COMP_WORDS=(lifeboat ${quoted}); COMP_CWORD=${words.length}; _lifeboat; printf '%s\\n' "\${COMPREPLY[@]}"`,
    'bash',
    scripts.bash as string,
  ]).toString();
  return out.split('\n').filter((l) => l !== '');
}

/**
 * What zsh completes for `words`: the script runs in real zsh with the completion system's
 * builtins it calls (`_describe`, `compadd`, `compdef`) recording their candidates.
 */
function zshCompletes(words: readonly string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('zsh', [
    '-c',
    `compdef() { :; }; _describe() { print -rl -- "\${(@P)4}"; }; compadd() { shift; print -rl -- "$@"; }
     source "$1"; words=(lifeboat ${quoted}); CURRENT=${words.length + 1}; _lifeboat`,
    'zsh',
    scripts.zsh as string,
  ]).toString();
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/(?<!\\):.*$/, '').replace(/\\:/g, ':'));
}

/** The same questions to either shell. */
function completionCases(completes: (words: readonly string[]) => string[]): void {
  it('completes the commands and the global options at the top', () => {
    const top = completes(['']);
    for (const word of [
      'backup',
      'recovery-points',
      'plan',
      'failover',
      'status',
      'completion',
      '--output',
    ]) {
      expect(top).toContain(word);
    }
  });

  it('completes the subcommands of a group, past global options and their values', () => {
    const words = completes(['--config', 'lifeboat.json', 'recovery-points', '']);
    expect(words).toEqual(expect.arrayContaining(['list', 'show', 'pin', 'unpin', 'prune', 'pins']));
    expect(words).not.toContain('backup');
  });

  it("completes a command's own options", () => {
    const words = completes(['failover', '--']);
    expect(words).toEqual(
      expect.arrayContaining(['--yes', '--desired-count-percent', '--no-wait', '--input']),
    );
  });

  it('completes the values of an option that takes a fixed list', () => {
    expect(completes(['--output', ''])).toEqual(['table', 'json', 'text']);
    expect(completes(['completion', ''])).toEqual(expect.arrayContaining(['bash', 'zsh']));
  });

  it('completes regions from the regions the AWS SDK knows', () => {
    const words = completes(['status', '--dr-region', 'us-we']).filter((w) => w.startsWith('us-we'));
    expect(words).toEqual(expect.arrayContaining(['us-west-1', 'us-west-2']));
  });
}

describe('bash', () => completionCases(bashCompletes));

// zsh is installed by .ci/run; on a machine without it these cases are skipped (and said so).
describe.runIf(HAS_ZSH)('zsh', () => {
  completionCases(zshCompletes);

  it('the script parses as zsh (zsh -n)', () => {
    expect(() => execFileSync('zsh', ['-n', scripts.zsh as string])).not.toThrow();
  });
});
