import { formatDuration, paint, renderText, useColor } from './format';

/** A stream the CLI writes to (process.stdout or a test's capture). */
export interface CliWritable {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** A stream the CLI may read a confirmation from. */
export interface CliReadable {
  readonly isTTY?: boolean;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeAllListeners(event?: string): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** Everything the CLI touches outside itself, so tests can run it in-process. */
export interface CliIo {
  readonly stdout: CliWritable;
  readonly stderr: CliWritable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin?: CliReadable;
  /** Directory where the search for cdk.json starts. @default process.cwd() */
  readonly cwd?: string;
  /** How Output writes (the global options --quiet and --no-color); main sets it after parsing. */
  readonly output?: OutputOptions;
  /**
   * Where the binary reports SIGINT / SIGTERM: the listener says what was interrupted, then the
   * process exits 130 (143). @default - not interruptible (the CLI run in-process)
   */
  readonly interrupts?: { on(listener: () => void): void };
}

/**
 * What stdout carries (`--output`): `table`, the readable result (the default); `json`, one JSON
 * document (`--json`); `text`, the same document as tab-separated lines (see `renderText`).
 */
export type OutputFormat = 'table' | 'json' | 'text';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'text'];

/** The global options that shape Output. */
export interface OutputOptions {
  /** `--quiet`: no progress or info lines on stderr (warnings, errors and the result stay). */
  readonly quiet?: boolean;
  /** `false` with `--no-color`: no colour anywhere, as with NO_COLOR. */
  readonly color?: boolean;
}

/**
 * Where command output goes. With `--json` (`--output json`), stdout carries exactly one JSON
 * document, and with `--output text` the same document as lines; everything else (progress,
 * warnings) goes to stderr. By default stdout carries the human-readable result.
 */
export class Output {
  /** Colour for stdout content. */
  readonly color: boolean;
  private readonly errColor: boolean;
  /** `--quiet`: info and step lines are not written. */
  readonly quiet: boolean;
  private written = false;

  constructor(
    private readonly io: CliIo,
    readonly format: OutputFormat,
    options: OutputOptions = io.output ?? {},
  ) {
    const colorAllowed = options.color !== false;
    this.color = colorAllowed && format === 'table' && useColor(io.stdout, io.env);
    this.errColor = colorAllowed && useColor(io.stderr, io.env);
    this.quiet = options.quiet === true;
  }

  /** `--json`: stdout is one JSON document. */
  get json(): boolean {
    return this.format === 'json';
  }

  /** `--json` or `--output text`: stdout carries the result only, for a program to read. */
  get machine(): boolean {
    return this.format !== 'table';
  }

  /**
   * Writes the command's result: `doc` as JSON with `--json`, as lines with `--output text`,
   * `human()` otherwise. Once per run.
   */
  result(doc: unknown, human: () => string): void {
    if (this.written) throw new Error('Output.result called twice: a command writes one result');
    this.written = true;
    if (this.format === 'json') this.io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    else if (this.format === 'text') this.io.stdout.write(renderText(doc));
    else this.io.stdout.write(human());
  }

  /**
   * Human-readable output written as a command goes (the demo's steps), before its result.
   * Nothing with `--json` or `--output text`, where stdout carries only the result.
   */
  print(text: string): void {
    if (!this.machine) this.io.stdout.write(text);
  }

  /** True once a result was written (the error path then leaves stdout alone). */
  get hasResult(): boolean {
    return this.written;
  }

  /** A progress or log line on stderr (none with `--quiet`). */
  info(message: string): void {
    if (!this.quiet) this.io.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    this.io.stderr.write(`${paint('warning:', 'yellow', this.errColor)} ${message}\n`);
  }

  /** Runs a long step, announcing it on stderr and reporting how long it took (silently with `--quiet`). */
  async step<T>(label: string, run: () => Promise<T>): Promise<T> {
    if (this.quiet) return run();
    const started = Date.now();
    this.io.stderr.write(`${paint('›', 'cyan', this.errColor)} ${label}…\n`);
    const result = await run();
    const took = Date.now() - started;
    this.io.stderr.write(
      `${paint('✓', 'green', this.errColor)} ${label} ${paint(`(${took < 1000 ? `${took} ms` : took < 60_000 ? `${(took / 1000).toFixed(1)} s` : formatDuration(took)})`, 'dim', this.errColor)}\n`,
    );
    return result;
  }

  /** Writes an error message on stderr, styled when stderr is a terminal. */
  error(message: string): void {
    this.io.stderr.write(`${paint('error:', 'red', this.errColor)} ${message}\n`);
  }
}
