import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatTimestamp,
  paint,
  renderFields,
  renderTable,
  renderText,
  shortDigest,
  useColor,
  visibleWidth,
} from '../../../src/cli/format';

interface Row {
  name: string;
  count: number;
}

const columns = [
  { header: 'NAME', value: (r: Row) => r.name },
  {
    header: 'COUNT',
    align: 'right' as const,
    value: (r: Row) => String(r.count),
    style: () => 'red' as const,
  },
];

describe('renderTable', () => {
  it('aligns columns two spaces apart under a rule, right-aligning numbers, with no trailing spaces', () => {
    const text = renderTable(
      columns,
      [
        { name: 'shop/web', count: 3 },
        { name: 'a', count: 120 },
      ],
      { color: false },
    );
    expect(text).toBe(
      ['NAME      COUNT', '────────  ─────', 'shop/web      3', 'a           120', ''].join('\n'),
    );
  });

  it('writes no escape sequences without colour and keeps alignment with colour', () => {
    const rows = [{ name: 'x', count: 1 }];
    expect(renderTable(columns, rows, { color: false })).not.toContain('\u001b[');
    const colored = renderTable(columns, rows, { color: true });
    expect(colored).toContain('\u001b[31m1\u001b[39m');
    const widths = colored.split('\n').filter(Boolean).map(visibleWidth);
    expect(new Set(widths).size).toBe(1);
  });

  it('prints the empty message instead of a header when there are no rows', () => {
    expect(renderTable(columns, [], { color: false, empty: 'nothing here' })).toBe('nothing here\n');
  });

  it('indents every line and flattens newlines inside cells', () => {
    const text = renderTable(columns, [{ name: 'two\nlines', count: 1 }], { color: false, indent: 2 });
    for (const line of text.trimEnd().split('\n')) expect(line.startsWith('  ')).toBe(true);
    expect(text).toContain('two lines');
  });
});

describe('renderFields', () => {
  it('aligns values after the longest label', () => {
    expect(
      renderFields(
        [
          ['Id', 'rp-1'],
          ['Status', 'complete'],
        ],
        { color: false },
      ),
    ).toBe('Id:      rp-1\nStatus:  complete\n');
  });
});

describe('useColor', () => {
  it('colours a terminal only', () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({}, {})).toBe(false);
  });

  it('honours NO_COLOR when set to a non-empty value, and TERM=dumb', () => {
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(useColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });

  it('paint leaves text alone when colour is off', () => {
    expect(paint('x', 'red', false)).toBe('x');
    expect(paint('x', undefined, true)).toBe('x');
  });
});

describe('formatDuration', () => {
  it('shows the two largest units', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(12 * 60_000 + 5_000)).toBe('12m 5s');
    expect(formatDuration(3 * 3_600_000 + 12 * 60_000 + 59_000)).toBe('3h 12m');
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe('2d 4h');
    expect(formatDuration(2 * 3_600_000)).toBe('2h');
  });

  it('shows negative durations (clock skew) as 0s', () => {
    expect(formatDuration(-5_000)).toBe('0s');
  });
});

describe('formatTimestamp and shortDigest', () => {
  it('formats UTC to the second', () => {
    expect(formatTimestamp('2026-01-02T03:04:05.678Z')).toBe('2026-01-02 03:04:05Z');
  });

  it('shortens sha256 digests to 12 hex characters and leaves other text alone', () => {
    expect(shortDigest(`sha256:${'ab'.repeat(32)}`)).toBe('sha256:abababababab');
    expect(shortDigest(undefined)).toBe('-');
    expect(shortDigest('latest')).toBe('latest');
  });
});

describe('renderText (--output text)', () => {
  it('writes each object as one line of its scalars, named by the key that holds it', () => {
    const doc = {
      catalog: { bucket: 'b', region: 'us-west-2' },
      recoveryPoints: [
        { id: 'rp-1', services: 6, partial: false },
        { id: 'rp-2', services: 0, problem: null },
      ],
    };
    expect(renderText(doc)).toBe(
      'CATALOG\tb\tus-west-2\nRECOVERYPOINTS\trp-1\t6\tFalse\nRECOVERYPOINTS\trp-2\t0\tNone\n',
    );
  });

  it('puts a list of scalars on one line and nested objects on lines of their own', () => {
    const doc = { id: 'x', tags: ['a', 'b'], counts: { images: { total: 3 } } };
    expect(renderText(doc)).toBe('x\nTAGS\ta\tb\nIMAGES\t3\n');
  });

  it('keeps one record on one line whatever its values hold, and leaves out what is absent', () => {
    expect(renderText({ message: 'two\nlines\tand a tab', gone: undefined })).toBe('two lines and a tab\n');
    expect(renderText({ empty: [] })).toBe('');
  });
});
