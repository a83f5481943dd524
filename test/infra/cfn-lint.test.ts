import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureEmulatorInstalled } from '../../src/emulator/moto';
import { removeTestApps, sampleConfig, synthLifeboat } from './support/synth';

const run = promisify(execFile);

/**
 * Checks that are switched off, each for a stated reason:
 * - W3005: CDK adds an explicit DependsOn from each Lambda to its role's policy so the policy
 *   exists before the first invocation; cfn-lint only sees the role's GetAtt and calls it redundant.
 * - W3037: cfn-lint 1.58.0's IAM action list predates ecr:StartReplicationBackfill, which the
 *   backup needs to start ECR replication backfill for images pushed before the rules existed.
 */
const IGNORED_CHECKS = ['W3005', 'W3037'];

describe('synthesised templates', () => {
  afterAll(removeTestApps);

  it('pass cfn-lint with no errors or warnings (every ignored check has a reason)', async () => {
    // Every optional part on: ECR replication, and the block engine's EBS direct API statements.
    const config = sampleConfig({
      images: { replication: { manage: true, repositoryPrefixes: [] } },
      volumes: { ebs: { engine: 'block' } },
    });
    const { recovery, backup } = synthLifeboat(config);
    const dir = mkdtempSync(path.join(tmpdir(), 'lifeboat-cfn-lint-'));
    const files = [
      ['LifeboatRecovery', recovery.toJSON()],
      ['LifeboatBackup', backup.toJSON()],
    ].map(([name, template]) => {
      const file = path.join(dir, `${name as string}.template.json`);
      writeFileSync(file, JSON.stringify(template));
      return file;
    });
    const python = await ensureEmulatorInstalled();
    const lint = await run(
      python,
      [
        '-c',
        'import sys; from cfnlint.runner import main; sys.argv[0] = "cfn-lint"; sys.exit(main())',
        '--ignore-checks',
        ...IGNORED_CHECKS,
        '--',
        ...files,
      ],
      { maxBuffer: 8 * 1024 * 1024 },
    ).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? -1, output: error.stdout ?? '' }),
    );
    rmSync(dir, { recursive: true, force: true });
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
  });
});
