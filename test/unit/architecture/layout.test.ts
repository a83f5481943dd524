import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkArchitecture, readSourceTree, type Violation } from '../../support/architecture';

const ROOT = path.join(__dirname, '..', '..', '..');

const rulesOf = (violations: readonly Violation[]): string[] => violations.map((v) => v.rule);

describe('the source tree', () => {
  it('keeps every layout rule (SDK only in aws/ folders, floors one way, no cycle, errors in errors.ts)', () => {
    const violations = checkArchitecture(readSourceTree(ROOT));
    expect(violations.map((v) => `${v.rule}: ${v.file}: ${v.detail}`)).toEqual([]);
  });
});

describe('checkArchitecture', () => {
  const base = {
    'src/kernel/errors.ts': 'export class LifeboatError extends Error {}',
    'src/catalog/manifest.ts': "import { LifeboatError } from '../kernel/errors';",
  };

  it('accepts a tree that keeps the rules', () => {
    expect(
      checkArchitecture({
        ...base,
        'src/fleet/aws/deploy.ts':
          "import { ECSClient } from '@aws-sdk/client-ecs';\nimport { x } from '../../catalog/manifest';",
        'src/restore/service.ts': "import { deploy } from '../fleet/aws/deploy';",
        'lib/workflows/restore.ts':
          "import { Stack } from 'aws-cdk-lib';\nimport { m } from '../../src/catalog/manifest';",
      }),
    ).toEqual([]);
  });

  it('fails on an SDK import outside an aws/ folder', () => {
    expect(
      rulesOf(
        checkArchitecture({
          ...base,
          'src/restore/service.ts': "import { ECSClient } from '@aws-sdk/client-ecs';",
        }),
      ),
    ).toEqual(['sdk-outside-adapter']);
  });

  it('fails on a CDK import in runtime code', () => {
    expect(
      rulesOf(
        checkArchitecture({ ...base, 'src/backup/steps.ts': "import { Duration } from 'aws-cdk-lib';" }),
      ),
    ).toEqual(['cdk-outside-infrastructure']);
  });

  it('fails when a floor climbs: the catalog importing a wing', () => {
    expect(
      rulesOf(
        checkArchitecture({
          ...base,
          'src/catalog/keys.ts': "import { plan } from '../restore/plan';",
          'src/restore/plan.ts': 'export const plan = 1;',
        }),
      ),
    ).toEqual(['floor']);
  });

  it('fails when one wing imports the other', () => {
    expect(
      rulesOf(
        checkArchitecture({
          ...base,
          'src/restore/settings.ts': "import { s } from '../backup/settings';",
          'src/backup/settings.ts': 'export const s = 1;',
        }),
      ),
    ).toEqual(['floor']);
  });

  it('fails when lib/ imports runtime orchestration or an adapter', () => {
    expect(
      rulesOf(
        checkArchitecture({
          ...base,
          'lib/workflows/restore.ts':
            "import { a } from '../../src/restore/run';\nimport { b } from '../../src/catalog/aws/store';",
          'src/restore/run.ts': 'export const a = 1;',
          'src/catalog/aws/store.ts': 'export const b = 1;',
        }),
      ),
    ).toEqual(['lib', 'lib']);
  });

  it('fails on an import cycle, naming its files', () => {
    const violations = checkArchitecture({
      ...base,
      'src/backup/capture.ts': "import { v } from './volumes';",
      'src/backup/volumes.ts': "import { c } from './capture';",
    });
    expect(violations).toEqual([
      {
        rule: 'cycle',
        file: 'src/backup/capture.ts',
        detail: 'import cycle: src/backup/capture.ts → src/backup/volumes.ts',
      },
    ]);
  });

  it('fails when two units of one floor import each other', () => {
    const violations = checkArchitecture({
      ...base,
      'src/fleet/inventory.ts': "import { t } from '../volumes/ebs/tags';\nexport const i = 1;",
      'src/volumes/ebs/tags.ts': "import { i } from '../../fleet/inventory';\nexport const t = 1;",
    });
    expect(violations.map((v) => v.detail)).toEqual([
      'import cycle: src/fleet/inventory.ts → src/volumes/ebs/tags.ts',
      'units import each other: fleet ↔ volumes/ebs',
    ]);
  });

  it('fails on an error class outside errors.ts or not descending from LifeboatError', () => {
    const violations = checkArchitecture({
      ...base,
      'src/images/plan.ts':
        "import { LifeboatError } from '../kernel/errors';\nexport class PlanError extends LifeboatError {}",
      'src/images/errors.ts': 'export class CopyError extends Error {}',
    });
    expect(violations.map((v) => `${v.file}: ${v.detail}`)).toEqual([
      "src/images/plan.ts: PlanError is declared outside its folder's errors.ts",
      'src/images/errors.ts: CopyError does not descend from LifeboatError (its chain ends at Error)',
    ]);
  });
});
