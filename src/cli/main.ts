import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { version } from '../../package.json';
import { regionProblem } from '../aws/regions';
import { recoveryPointIdSchema } from '../catalog/manifest';
import { COMPLETION_SHELLS, type CompletionShell, completionScript } from './completion';
import { describeError, EXIT_CODES_HELP, ExitCode } from './errors';
import { INTERRUPTED_EXIT_CODE, interruptionNote } from './interrupt';
import { type CliIo, OUTPUT_FORMATS, Output, type OutputFormat } from './io';
import type { GlobalOptions, Session } from './session';

const SERVICE_PATTERN = /^[A-Za-z0-9_*?-]+\/[A-Za-z0-9_*?-]+$/;

function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL such as http://127.0.0.1:5000.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('must be an http:// or https:// URL.');
  }
  return value.replace(/\/+$/, '');
}

/** A region of the SDK's partition table; a mistyped one is a usage error naming the nearest. */
function parseRegion(value: string): string {
  const problem = regionProblem(value);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return value;
}

/** "latest" or a recovery point id; a malformed id is a usage error, not "not found". */
function parseRecoveryPointRef(value: string): string {
  if (value === 'latest' || recoveryPointIdSchema.safeParse(value).success) return value;
  throw new InvalidArgumentError(
    'must be "latest" or a recovery point id such as rp-20260101T000000000Z-abc123.',
  );
}

/** A recovery point id (no "latest": a pin names one recovery point). */
function parseRecoveryPointId(value: string): string {
  if (recoveryPointIdSchema.safeParse(value).success) return value;
  throw new InvalidArgumentError('must be a recovery point id such as rp-20260101T000000000Z-abc123.');
}

function parseServicePattern(value: string, previous: string[] | undefined, flag?: string): string[] {
  if (value.includes(',')) {
    // Commander already names the option and the argument; say how to write it instead.
    const parts = value.split(',').filter((part) => part !== '');
    throw new InvalidArgumentError(
      `patterns are space-separated: \`${flag === undefined ? '' : `${flag} `}${parts.join(' ')}\`.`,
    );
  }
  if (!SERVICE_PATTERN.test(value)) {
    throw new InvalidArgumentError(`"${value}" must look like "cluster/service" (globs * and ? allowed).`);
  }
  return [...(previous ?? []), value];
}

function parseIntegerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

type CommandRun = (session: Session) => Promise<number>;

/** Commands that write recovery points or runs: with --endpoint they create the catalog when missing. */
const CATALOG_WRITERS: ReadonlySet<string> = new Set(['backup', 'failover', 'demo']);

/** True under bin/lifeboat.js, where tsx's CommonJS hook compiles required .ts files. */
const REQUIRE_LOADS_TYPESCRIPT = typeof require === 'function' && require.extensions?.['.ts'] !== undefined;

/**
 * Loads a module on first use, so `lifeboat --help` does not pay for the AWS SDK. Under
 * bin/lifeboat.js that is `require` (tsx's CommonJS hook does not see `import()`); anywhere
 * else (vitest, tsx's full loader) it is `import()`.
 */
function lazy<T>(path: string, dynamicImport: () => Promise<T>): Promise<T> {
  return REQUIRE_LOADS_TYPESCRIPT ? Promise.resolve(require(path) as T) : dynamicImport();
}

interface RunState {
  exitCode: number;
  session: Session | undefined;
  /** The command running, e.g. "failover" or "recovery-points list". */
  command?: string;
}

/** Builds the `lifeboat` command tree. Actions load their implementation on first use. */
export function buildProgram(io: CliIo, state: RunState): Command {
  const program = new Command('lifeboat');
  program
    .description(
      'Backup and cross-region disaster recovery for Amazon ECS.\n' +
        'Works against AWS (default credential chain or --profile) or any AWS-compatible endpoint (--endpoint).',
    )
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .addOption(
      new Option(
        '--endpoint <url>',
        'send every AWS call to this endpoint (e.g. the emulator); workflows then run on this machine and the catalog bucket and key are created by the first backup, failover or demo (commands that only read create nothing) (default: $AWS_ENDPOINT_URL)',
      ).argParser(parseEndpoint),
    )
    .addOption(
      new Option('--primary-region <region>', 'override the configured primary region').argParser(
        parseRegion,
      ),
    )
    .addOption(new Option('--dr-region <region>', 'override the configured DR region').argParser(parseRegion))
    .addOption(new Option('--region <region>').hideHelp())
    .option(
      '--config <file>',
      'JSON configuration file (default: the "lifeboat" context of the nearest cdk.json)',
    )
    .option('--profile <name>', 'AWS named profile (default: the default credential chain)')
    .addOption(
      new Option(
        '--output <format>',
        'what stdout carries: table (readable, the default), json (one JSON document), text (that document as tab-separated lines)',
      ).choices(OUTPUT_FORMATS),
    )
    .option('--json', 'the same as --output json; logs and progress go to stderr')
    .option(
      '-q, --quiet',
      'no progress or info lines on stderr; warnings, errors and the result are still written',
    )
    .option('--no-color', 'no colour in the output (as when NO_COLOR is set)')
    .addHelpText('afterAll', `\n${EXIT_CODES_HELP}\n`);

  const action =
    (load: (cmd: Command) => Promise<CommandRun>) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      const { Session } = await lazy('./session', () => import('./session'));
      const globals = cmd.optsWithGlobals<
        GlobalOptions & { quiet?: boolean; color?: boolean; region?: string }
      >();
      if (globals.region !== undefined) {
        cmd.error(
          `error: Lifeboat works in two regions, so --region does not say which: pass --primary-region ${globals.region} (where the fleet runs) or --dr-region ${globals.region} (where recovery points are kept and failover restores).`,
          { exitCode: ExitCode.Usage, code: 'lifeboat.ambiguousRegion' },
        );
      }
      if (globals.json === true && globals.output !== undefined && globals.output !== 'json') {
        cmd.error(
          `error: --json is --output json; it cannot go with --output ${globals.output}. Pass one of them.`,
          {
            exitCode: ExitCode.Usage,
            code: 'lifeboat.conflictingOptions',
          },
        );
      }
      const endpoint = globals.endpoint ?? (cmd.name() === 'demo' ? undefined : endpointFromEnv(cmd, io));
      const sessionIo: CliIo = {
        ...io,
        output: { quiet: globals.quiet === true, color: globals.color !== false },
      };
      const session = new Session(
        { ...globals, ...(endpoint !== undefined ? { endpoint } : {}) },
        sessionIo,
        {
          createsCatalog: CATALOG_WRITERS.has(cmd.name()),
        },
      );
      state.session = session;
      state.command = [cmd.parent?.parent ? cmd.parent.name() : undefined, cmd.name()]
        .filter(Boolean)
        .join(' ');
      const run = await load(cmd);
      state.exitCode = await run(session);
    };

  program
    .command('backup')
    .description('take a recovery point now')
    .addHelpText(
      'after',
      '\nThe backup workflow (capture, EBS snapshot copies, commit) runs in this process with --endpoint: the state\n' +
        'machine the BackupStack deploys, run locally against the endpoint, which commits the recovery point to the\n' +
        "catalog there. Without it, it uses the caller's credentials to start the backup workflow deployed in the\n" +
        'primary region (found by the BackupStack output BackupStateMachineArn) and waits for it: they need\n' +
        'cloudformation:DescribeStacks on that stack, states:StartExecution on the state machine,\n' +
        'states:DescribeExecution and states:GetExecutionHistory on its executions, and read access to the catalog\n' +
        'bucket and its KMS key in the DR region. Progress goes to stderr, the recovery point to stdout.',
    )
    .action(
      action(async () => {
        const { runBackupCommand } = await lazy('./commands/backup', () => import('./commands/backup'));
        return runBackupCommand;
      }),
    );

  const recoveryPoints = program
    .command('recovery-points')
    .description('list, inspect and pin recovery points in the DR catalog');
  recoveryPoints
    .command('list')
    .description('list recovery points, newest first')
    .addOption(
      new Option('--limit <n>', 'show at most this many').argParser(parseIntegerIn(1, 1000)).default(20),
    )
    .addOption(new Option('--status <status>', 'only this status').choices(['complete', 'partial']))
    .action(
      action(async (cmd) => {
        const { runListCommand } = await lazy(
          './commands/recovery-points',
          () => import('./commands/recovery-points'),
        );
        const opts = cmd.opts<{ limit: number; status?: 'complete' | 'partial' }>();
        return (session) => runListCommand(session, opts);
      }),
    );
  recoveryPoints
    .command('show')
    .description('show one recovery point (checksum verified): summary, services and errors')
    .argument(
      '<id|latest>',
      'recovery point id, or "latest" for the newest complete one',
      parseRecoveryPointRef,
    )
    .option('--allow-partial', 'accept a partial recovery point (with "latest": the newest of any status)')
    .option('--raw', 'print the verified manifest itself as JSON')
    .action(
      action(async (cmd) => {
        const { runShowCommand } = await lazy(
          './commands/recovery-points',
          () => import('./commands/recovery-points'),
        );
        const [ref] = cmd.processedArgs as [string];
        const opts = cmd.opts<{ allowPartial?: boolean; raw?: boolean }>();
        return (session) => runShowCommand(session, ref, opts);
      }),
    );
  recoveryPoints
    .command('pin')
    .description('pin a recovery point: retention keeps it and its snapshots until it is unpinned')
    .argument('<id>', 'recovery point id', parseRecoveryPointId)
    .addHelpText(
      'after',
      '\nA restore pins the recovery point it uses (with its execution and the services it restores), and a\n' +
        'later restore that restores every one of those services unpins it. A pin made here names no service,\n' +
        'so only `lifeboat recovery-points unpin <id>` removes it. With Object Lock on the catalog bucket, the\n' +
        'manifest also gets a legal hold. Exit 3 when the recovery point does not exist.',
    )
    .action(
      action(async (cmd) => {
        const { runPinCommand } = await lazy(
          './commands/recovery-points',
          () => import('./commands/recovery-points'),
        );
        const [id] = cmd.processedArgs as [string];
        return (session) => runPinCommand(session, id);
      }),
    );
  recoveryPoints
    .command('unpin')
    .description('unpin a recovery point and show what retention may now delete')
    .argument('<id>', 'recovery point id', parseRecoveryPointId)
    .action(
      action(async (cmd) => {
        const { runUnpinCommand } = await lazy(
          './commands/recovery-points',
          () => import('./commands/recovery-points'),
        );
        const [id] = cmd.processedArgs as [string];
        return (session) => runUnpinCommand(session, id);
      }),
    );
  recoveryPoints
    .command('prune')
    .description('show (--dry-run) or apply retention: what it keeps and why, what it deletes')
    .option('--dry-run', 'show the plan only; change nothing')
    .addHelpText(
      'after',
      '\nRetention runs after every backup (its ApplyRetention step). Only complete recovery points that verify count\n' +
        'toward lifeboat.retention; the newest of them and every pinned one are always kept. Without --dry-run it\n' +
        "applies the plan, with --endpoint only: in AWS only the backup's retention role may delete recovery points.\n" +
        'Exit 1 when a recovery point does not verify.',
    )
    .action(
      action(async (cmd) => {
        const { runPruneCommand } = await lazy(
          './commands/recovery-points',
          () => import('./commands/recovery-points'),
        );
        const opts = cmd.opts<{ dryRun?: boolean }>();
        return (session) => runPruneCommand(session, opts);
      }),
    );
  recoveryPoints
    .command('pins')
    .description('list the pinned recovery points (exit 1 when a pin record is damaged: it still pins)')
    .action(
      action(async () => {
        const { runPinsCommand } = await lazy(
          './commands/recovery-points',
          () => import('./commands/recovery-points'),
        );
        return runPinsCommand;
      }),
    );

  const planCommand = program
    .command('plan')
    .description('plan a failover from a recovery point without changing anything (dry run)')
    .addOption(recoveryPointOption())
    .addOption(servicesOption())
    .addOption(excludeOption());
  addRestoreInputOptions(planCommand)
    .addHelpText(
      'after',
      '\nReads the recovery point (checksum verified) and the DR region, and shows what a failover would do:\n' +
        'waves, per service the action (create / update / unchanged) or what blocks it, desired counts, task\n' +
        'definition families and the images it would pull in the DR region (by digest), then every readiness\n' +
        "finding with its fix. The same plan as the restore workflow's dry run; nothing is changed.\n" +
        'It takes the options of `lifeboat failover` and plans exactly the input that failover would start\n' +
        '(same desired counts, partial recovery points, adopted services, EFS promotion).\n' +
        'Exit 0 when every selected service can be restored, 1 when error findings block some.',
    )
    .action(
      action(async (cmd) => {
        const { runPlanCommand } = await lazy('./commands/restore', () => import('./commands/restore'));
        const opts = cmd.opts<RestoreCommandFlags>();
        return (session) => runPlanCommand(session, opts);
      }),
    );

  const failoverCommand = program
    .command('failover')
    .description('relaunch the services in the DR region from a recovery point')
    .addOption(recoveryPointOption())
    .addOption(servicesOption())
    .addOption(excludeOption());
  addRestoreInputOptions(failoverCommand)
    .option('--yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nShows the plan (see `lifeboat plan`), asks for confirmation, then runs the restore workflow from that\n' +
        'recovery point: with --endpoint on this machine (the state machine the RecoveryStack deploys, run\n' +
        'locally against the endpoint); otherwise it starts the workflow deployed in the DR region (found by the\n' +
        'RecoveryStack output RestoreStateMachineArn) and waits for it. Progress goes to stderr; the report\n' +
        '(per service: result, task definition revision, images by digest; RTO) to stdout.\n' +
        'Without a terminal, or with --json, pass --yes (otherwise exit 2, nothing changed).\n' +
        'Services the plan blocks are not touched. Re-running is safe: restored services are left unchanged.\n' +
        'EFS replicas stay replicating (the tasks mount them read-only) unless --promote-file-systems is given,\n' +
        'which deletes their replication: they become writable and the primary stops replicating to them.\n' +
        '--input takes a JSON workflow input as the Step Functions console does; flags given override its fields\n' +
        '("dryRun" in it is ignored: failover fails over). The run starts with exactly the input planned, pinned\n' +
        'to the recovery point the plan shows.\n' +
        'Exit 0 only when every selected service was restored and is steady, 1 otherwise.',
    )
    .action(
      action(async (cmd) => {
        const { runFailoverCommand } = await lazy('./commands/restore', () => import('./commands/restore'));
        const opts = cmd.opts<RestoreCommandFlags & { yes?: boolean }>();
        return (session) => runFailoverCommand(session, opts);
      }),
    );

  program
    .command('init')
    .description('write the Lifeboat configuration into cdk.json (from flags, or asked on a terminal)')
    .option('--account <id>', 'AWS account id of the fleet (12 digits)')
    .option('--schedule <expression>', 'backup schedule, e.g. "rate(1 hour)"')
    .addOption(
      new Option('--rpo-target-minutes <n>', 'RPO target of `lifeboat status`').argParser(
        parseIntegerIn(1, 525_600),
      ),
    )
    .addOption(
      new Option('--retention-days <n>', 'keep every recovery point younger than this').argParser(
        parseIntegerIn(1, 3650),
      ),
    )
    .addOption(
      new Option('--min-recovery-points <n>', 'always keep the newest this many complete points').argParser(
        parseIntegerIn(1, 1000),
      ),
    )
    .option('--tag <key=value...>', 'tags a service (or its cluster) must carry to be backed up')
    .addOption(
      new Option('--include <pattern...>', '"cluster/service" globs to back up').argParser(
        parseServicePattern,
      ),
    )
    .addOption(
      new Option('--exclude <pattern...>', '"cluster/service" globs to leave out').argParser(
        parseServicePattern,
      ),
    )
    .option('--force', 'replace an existing configuration (its values stay where no flag is given)')
    .addHelpText(
      'after',
      '\nWrites context.lifeboat of ./cdk.json (or --config <file>), keeping the rest of the file; every setting\n' +
        'gets a "// setting" comment key, which the configuration ignores. --primary-region and --dr-region set the\n' +
        'regions. On a terminal it asks for what no flag gives; otherwise --account and both regions are needed.\n' +
        'Everything is validated before the file is written; nothing is written on an error (exit 2).',
    )
    .action(
      action(async (cmd) => {
        const { runInitCommand } = await lazy('./commands/init', () => import('./commands/init'));
        const opts = cmd.opts<import('./commands/init').InitOptions>();
        return (session) => runInitCommand(session, opts);
      }),
    );

  program
    .command('status')
    .description('age of the newest recovery point against the RPO target (exit 5 when exceeded)')
    .action(
      action(async () => {
        const { runStatusCommand } = await lazy('./commands/status', () => import('./commands/status'));
        return runStatusCommand;
      }),
    );

  program
    .command('demo')
    .description('run the whole product on this machine against a local emulator')
    .addHelpText(
      'after',
      '\nStarts a fresh AWS emulator (moto) on a free loopback port, seeds a demo ECS fleet in the primary region,\n' +
        'takes a backup, checks the RPO, plans the failover, deletes every service in the primary region (the\n' +
        'simulated outage) and fails over to the DR region with the restore workflow, then prints what runs there\n' +
        '(task definition revisions, images by digest) with the measured RPO and RTO. The emulator is stopped at\n' +
        'the end, also on errors and Ctrl-C; nothing outside this machine is touched and no configuration is read\n' +
        '(--primary-region and --dr-region choose the regions; default us-east-1 and us-west-2).\n' +
        'The failover covers every service the plan can restore; services the plan blocks are listed as not\n' +
        'restored, with the finding and its fix. Exit 0 when every service the plan did not block was restored.',
    )
    .action(
      action(async () => {
        const { runDemoCommand } = await lazy('./commands/demo', () => import('./commands/demo'));
        return runDemoCommand;
      }),
    );

  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(COMPLETION_SHELLS))
    .addHelpText(
      'after',
      '\nbash: eval "$(lifeboat completion bash)" in ~/.bashrc, or save the output as\n' +
        '~/.local/share/bash-completion/completions/lifeboat.\n' +
        'zsh:  source <(lifeboat completion zsh) in ~/.zshrc after compinit, or save the output as _lifeboat in a\n' +
        'directory on $fpath.',
    )
    .action((shell: CompletionShell) => {
      io.stdout.write(completionScript(shell, program));
    });

  return program;
}

function recoveryPointOption(): Option {
  // No Commander default: an option not given leaves the --input document's field (default latest).
  return new Option(
    '--recovery-point <id|latest>',
    'recovery point to restore from (default: latest)',
  ).argParser(parseRecoveryPointRef);
}

/** The options of `plan` and `failover` as Commander parses them (undefined: not given). */
interface RestoreCommandFlags {
  recoveryPoint?: string;
  services?: string[];
  exclude?: string[];
  desiredCountPercent?: number;
  allowPartial?: boolean;
  promoteFileSystems?: boolean;
  continueOnWaveFailure?: boolean;
  adopt?: string[];
  wait?: boolean;
  steadyStateTimeout?: number;
  comment?: string;
  input?: string;
}

/** An exact "cluster/service" key (no globs): adopting is a decision about one service. */
function parseServiceKey(value: string, previous: string[] | undefined): string[] {
  if (!/^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/.test(value)) {
    throw new InvalidArgumentError(`"${value}" must be an exact "cluster/service" key (no globs).`);
  }
  return [...(previous ?? []), value];
}

/**
 * The workflow-input options `plan` and `failover` share, after --recovery-point, --services and
 * --exclude: every field of the restore input has a flag, and --input takes a whole document.
 */
function addRestoreInputOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--desired-count-percent <n>',
        'scale each restored service to this share of its captured desired count, rounded up (default: 100; 0 creates the services with no tasks)',
      ).argParser(parseIntegerIn(0, 100)),
    )
    .option(
      '--allow-partial',
      'restore from a partial recovery point (services whose capture failed are reported, not restored)',
    )
    .addOption(
      new Option(
        '--adopt <cluster/service...>',
        'DR services Lifeboat did not create that it may take over (updated and tagged; otherwise they block)',
      ).argParser(parseServiceKey),
    )
    .option(
      '--promote-file-systems',
      'make the EFS replicas writable by deleting their replication (the primary stops replicating to them; not in a drill)',
    )
    .option('--continue-on-wave-failure', 'start each wave even when the one before it did not become steady')
    .addOption(
      new Option(
        '--steady-state-timeout <minutes>',
        'how long each wave waits for its services to become steady (1-120, default: 15)',
      ).argParser(parseIntegerIn(1, 120)),
    )
    .option('--no-wait', 'report as soon as the services are created or updated (no wait for steady state)')
    .option(
      '--comment <text>',
      'free text carried into the plan and the restore report ("incident INC-1234")',
    )
    .option(
      '--input <file|->',
      'a JSON workflow input as the Step Functions console takes it (- reads standard input); flags given override its fields',
    );
}

function excludeOption(): Option {
  return new Option(
    '--exclude <pattern...>',
    '"cluster/service" globs to leave out (wins over --services)',
  ).argParser((value: string, previous: string[] | undefined) =>
    parseServicePattern(value, previous, '--exclude'),
  );
}

function servicesOption(): Option {
  return new Option('--services <pattern...>', '"cluster/service" globs to restore (default: all)').argParser(
    (value: string, previous: string[] | undefined) => parseServicePattern(value, previous, '--services'),
  );
}

/**
 * `AWS_ENDPOINT_URL` (the AWS SDKs' own variable) stands for `--endpoint` when the flag is not
 * given; `lifeboat demo` starts its own emulator and ignores it. A malformed value is a usage error.
 */
function endpointFromEnv(cmd: Command, io: CliIo): string | undefined {
  const value = io.env.AWS_ENDPOINT_URL;
  if (value === undefined || value === '') return undefined;
  try {
    return parseEndpoint(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return cmd.error(`error: AWS_ENDPOINT_URL "${value}" ${reason}`, {
      exitCode: ExitCode.Usage,
      code: 'lifeboat.invalidEnvironment',
    });
  }
}

/**
 * The output format named on the command line, for messages written before (or without) a parsed
 * session: `--json`, else a valid `--output <format>` / `--output=<format>`, else table.
 */
function outputFormatOf(argv: readonly string[]): OutputFormat {
  if (argv.includes('--json')) return 'json';
  const at = argv.findIndex((a) => a === '--output' || a.startsWith('--output='));
  const value = at < 0 ? undefined : argv[at]?.startsWith('--output=') ? argv[at]?.slice(9) : argv[at + 1];
  return OUTPUT_FORMATS.find((f) => f === value) ?? 'table';
}

/** Commander errors that are not failures: help and version requested by the user. */
const CLEAN_EXITS = new Set(['commander.helpDisplayed', 'commander.version']);

/**
 * Runs the CLI. Returns the exit code; never throws and never calls process.exit, so tests
 * can drive it in-process with captured streams.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const debug =
    io.env.LIFEBOAT_DEBUG !== undefined && io.env.LIFEBOAT_DEBUG !== '' && io.env.LIFEBOAT_DEBUG !== '0';
  const state: RunState = { exitCode: ExitCode.Ok, session: undefined };
  const program = buildProgram(io, state);
  io.interrupts?.on(() => {
    const out = state.session?.out ?? new Output(io, outputFormatOf(argv));
    const message = interruptionNote(state.command, state.session?.running);
    out.error(message);
    if (out.json) {
      writeJsonError(
        out,
        { name: 'Interrupted', message, exitCode: INTERRUPTED_EXIT_CODE },
        { interrupted: true },
      );
    }
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    const out =
      state.session?.out ??
      new Output(io, outputFormatOf(argv), {
        quiet: argv.includes('--quiet') || argv.includes('-q'),
        color: !argv.includes('--no-color'),
      });
    if (error instanceof CommanderError) {
      // Commander has already printed its message (and the usage hint) on stderr.
      // `lifeboat help …` exits 0; help shown because a command is missing exits non-zero.
      if (CLEAN_EXITS.has(error.code) || (error.code === 'commander.help' && error.exitCode === 0)) {
        return ExitCode.Ok;
      }
      if (out.json) {
        // Help shown because no command was given: Commander's message is only "(outputHelp)".
        const message =
          error.code === 'commander.help'
            ? 'a command is required: the usage is on stderr (`lifeboat --help` lists the commands).'
            : error.message.replace(/^error: /, '');
        writeJsonError(out, { name: 'UsageError', message, exitCode: ExitCode.Usage });
      }
      return ExitCode.Usage;
    }
    const outcome = describeError(error, {
      endpoint: state.session?.options.endpoint,
      profile: state.session?.profileInUse,
    });
    out.error(outcome.message);
    if (debug || !outcome.expected) {
      io.stderr.write(`${error instanceof Error && error.stack ? error.stack : String(error)}\n`);
    }
    if (out.json) writeJsonError(out, outcome);
    return outcome.exitCode;
  } finally {
    state.session?.dispose();
  }
}

function writeJsonError(
  out: Output,
  e: { name: string; message: string; exitCode: number },
  extra: Record<string, unknown> = {},
): void {
  if (out.hasResult) return;
  out.result({ ...extra, error: { name: e.name, message: e.message, exitCode: e.exitCode } }, () => '');
}
