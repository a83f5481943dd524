import { stripVTControlCharacters } from 'node:util';

/** Text styles the CLI uses; rendered as ANSI escapes only when colour is on. */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

const ANSI: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** Applies `style` to `text` when `color` is true; returns `text` unchanged otherwise. */
export function paint(text: string, style: Style | undefined, color: boolean): string {
  if (!color || style === undefined || text === '') return text;
  const [open, close] = ANSI[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/**
 * Colour on a stream: only for a terminal, never with NO_COLOR set to a non-empty value
 * (https://no-color.org) or TERM=dumb.
 */
export function useColor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (stream.isTTY !== true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

/** Visible width of a cell (escape sequences do not count). */
export function visibleWidth(text: string): number {
  return [...stripVTControlCharacters(text)].length;
}

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string;
  /** @default 'left' */
  readonly align?: 'left' | 'right';
  /** Style of a cell, decided from its row. @default - plain */
  readonly style?: (row: Row) => Style | undefined;
}

export interface TableOptions {
  readonly color: boolean;
  /** Spaces before every line. @default 0 */
  readonly indent?: number;
  /** Shown instead of the table when there are no rows. @default '(none)' */
  readonly empty?: string;
}

/**
 * Renders rows as an aligned plain-text table: a header line, a rule, one line per row,
 * columns two spaces apart, no trailing spaces. Multi-line cells are not supported; a
 * newline in a value is shown as a space.
 */
export function renderTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  opts: TableOptions,
): string {
  const pad = ' '.repeat(opts.indent ?? 0);
  if (rows.length === 0) return `${pad}${paint(opts.empty ?? '(none)', 'dim', opts.color)}\n`;
  const cells = rows.map((row) => columns.map((c) => c.value(row).replace(/\r?\n/g, ' ')));
  const widths = columns.map((c, i) =>
    Math.max(visibleWidth(c.header), ...cells.map((line) => visibleWidth(line[i] ?? ''))),
  );
  const line = (values: string[], styleOf: (i: number) => Style | undefined): string => {
    const parts = values.map((v, i) => {
      const width = widths[i] ?? 0;
      const gap = ' '.repeat(width - visibleWidth(v));
      const last = i === values.length - 1;
      const text = paint(v, styleOf(i), opts.color);
      if (columns[i]?.align === 'right') return `${gap}${text}`;
      return last ? text : `${text}${gap}`;
    });
    return `${pad}${parts.join('  ')}`.trimEnd();
  };
  const header = line(
    columns.map((c) => c.header),
    () => 'bold',
  );
  const rule = `${pad}${widths.map((w) => '─'.repeat(w)).join('  ')}`;
  const body = cells.map((values, r) => {
    const row = rows[r] as Row;
    return line(values, (i) => columns[i]?.style?.(row));
  });
  return `${[header, paint(rule, 'dim', opts.color), ...body].join('\n')}\n`;
}

/** Renders `label: value` pairs with the labels aligned. */
export function renderFields(fields: readonly (readonly [string, string])[], opts: TableOptions): string {
  const pad = ' '.repeat(opts.indent ?? 0);
  const width = Math.max(0, ...fields.map(([label]) => label.length + 1));
  return fields
    .map(([label, value]) =>
      `${pad}${paint(`${label}:`.padEnd(width), 'bold', opts.color)}  ${value}`.trimEnd(),
    )
    .map((l) => `${l}\n`)
    .join('');
}

/**
 * A duration in the two largest units, for people: "45s", "12m 5s", "3h 12m", "2d 4h".
 * Negative durations (clock skew) show as "0s".
 */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3_600);
  const m = Math.floor((total % 3_600) / 60);
  const s = total % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return s > 0 ? `${m}m ${s}s` : `${m}m`;
  return `${s}s`;
}

/** A timestamp to the second in UTC: "2026-01-01 12:00:05Z". */
export function formatTimestamp(iso: string | Date): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** "sha256:0123456789ab" — a digest shortened to 12 hex characters, enough to tell images apart. */
export function shortDigest(digest: string | undefined): string {
  if (digest === undefined) return '-';
  const m = /^sha256:([a-f0-9]+)$/.exec(digest);
  return m?.[1] ? `sha256:${m[1].slice(0, 12)}` : digest;
}

/** "3 services", "1 service". */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** A measured time for people: "0.9 s", "42.0 s" below a minute, `formatDuration` above. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  return seconds < 60 ? `${seconds.toFixed(1)} s` : formatDuration(seconds * 1000);
}

type Scalar = string | number | boolean | null;

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** A scalar on a text line: tabs and line breaks become spaces, so one record stays one line. */
function textCell(value: Scalar): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value).replace(/[\t\r\n]+/g, ' ');
}

/**
 * `--output text`, as the AWS CLI writes it: the JSON document as tab-separated lines for `grep`,
 * `cut` and `awk`. Each object is one line of its scalar values (in the document's key order),
 * starting with the upper-cased name of the key that holds it; its nested objects and lists
 * follow on their own lines; a list of scalars is one line. Absent values are left out, so lines
 * under one name can differ in width: select by name, then by column.
 *
 *   {"recoveryPoints":[{"id":"rp-1","services":6}]}  →  "RECOVERYPOINTS\trp-1\t6\n"
 */
export function renderText(doc: unknown): string {
  const lines: string[] = [];
  const line = (name: string | undefined, cells: readonly Scalar[]) => {
    lines.push([...(name === undefined ? [] : [name]), ...cells.map(textCell)].join('\t'));
  };
  const walk = (value: unknown, name: string | undefined): void => {
    if (value === undefined) return;
    if (isScalar(value)) {
      line(name, [value]);
    } else if (Array.isArray(value)) {
      if (value.every(isScalar)) {
        if (value.length > 0) line(name, value);
      } else {
        for (const item of value) walk(item, name);
      }
    } else if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      const scalars = entries.filter((entry): entry is [string, Scalar] => isScalar(entry[1]));
      if (scalars.length > 0)
        line(
          name,
          scalars.map(([, v]) => v),
        );
      for (const [key, nested] of entries) if (!isScalar(nested)) walk(nested, key.toUpperCase());
    }
  };
  walk(doc, undefined);
  return lines.map((l) => `${l}\n`).join('');
}
