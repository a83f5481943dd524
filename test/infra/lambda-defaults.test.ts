import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { inlineSchemaKeys, inlineSdkSchemaKeys } from '../../lib/workflows/lambda-defaults';

describe('inlineSchemaKeys', () => {
  it('writes computed keys naming string constants as the literals they stand for', () => {
    const source = [
      'const _e = "error";',
      'const _hE = "httpError";',
      'export var X = { [_e]: 1, [_hE]: 403 };',
    ].join('\n');
    expect(inlineSchemaKeys(source)).toContain('export var X = { "error": 1, "httpError": 403 };');
  });

  it('leaves keys that name no string constant of the module, and never writes a __proto__ literal', () => {
    const source = [
      'const _p = "__proto__";',
      'const _n = 5;',
      'export var X = { [_p]: 1, [_n]: 2, [other]: 3 };',
    ].join('\n');
    expect(inlineSchemaKeys(source)).toBe(source);
  });

  it.each(['client-ecs', 'client-ec2'])(
    'keeps every export of @aws-sdk/%s schemas identical once bundled',
    async (client) => {
      const entry = `export * from '@aws-sdk/${client}/dist-es/schemas/schemas_0.js';`;
      const bundle = async (plugins: (typeof inlineSdkSchemaKeys)[]) => {
        const result = await build({
          stdin: { contents: entry, resolveDir: process.cwd(), loader: 'js' },
          bundle: true,
          platform: 'node',
          format: 'cjs',
          mainFields: ['module', 'main'],
          write: false,
          logLevel: 'silent',
          plugins,
        });
        const module = { exports: {} as Record<string, unknown> };
        new Function('module', 'exports', 'require', result.outputFiles[0]?.text ?? '')(
          module,
          module.exports,
          require,
        );
        return JSON.stringify(module.exports, (_key, value: unknown) =>
          typeof value === 'function' ? `function ${value.name}` : value,
        );
      };
      const [plain, inlined] = await Promise.all([bundle([]), bundle([inlineSdkSchemaKeys])]);
      expect(inlined.length).toBeGreaterThan(1000);
      expect(inlined).toBe(plain);
    },
    60_000,
  );
});
