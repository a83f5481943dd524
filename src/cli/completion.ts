import type { Command } from 'commander';
import { knownRegions } from '../aws/regions';

/** The shells `lifeboat completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** One option as completion offers it. */
export interface CompletionOption {
  /** `--dr-region` (and `-q` for a short form, listed separately). */
  readonly flags: readonly string[];
  readonly description: string;
  /** Takes a value (the next word is not a command). */
  readonly takesValue: boolean;
  /** The values it accepts, when they are a fixed list. */
  readonly choices?: readonly string[];
  /** Its value is a file path. */
  readonly file?: boolean;
}

/** A command path (`""` for `lifeboat` itself, `recovery-points list`) and what may follow it. */
export interface CompletionNode {
  readonly path: string;
  /** Its subcommands, and the values of an argument that takes a fixed list (`completion bash`). */
  readonly commands: readonly { readonly name: string; readonly description: string }[];
  /** Its own options and the global ones. */
  readonly options: readonly CompletionOption[];
}

/** Options whose value is a file (completed as paths). */
const FILE_OPTIONS = new Set(['--config', '--input']);

/** Options whose value is a region (completed from the regions the AWS SDK knows). */
const REGION_OPTIONS = new Set(['--primary-region', '--dr-region']);

const HELP: CompletionOption = {
  flags: ['--help', '-h'],
  description: 'show help for a command',
  takesValue: false,
};

/** The command tree of `program` as completion sees it, global options included at every level. */
export function completionTree(program: Command): CompletionNode[] {
  const optionsOf = (cmd: Command): CompletionOption[] =>
    cmd.options
      .filter((o) => !o.hidden)
      .map((o) => {
        const flags = [o.long, o.short].filter((f): f is string => f !== undefined);
        return {
          flags,
          description: o.description,
          takesValue: o.required || o.optional,
          ...(o.argChoices ? { choices: o.argChoices } : {}),
          ...(o.long !== undefined && REGION_OPTIONS.has(o.long) ? { choices: knownRegions() } : {}),
          ...(o.long !== undefined && FILE_OPTIONS.has(o.long) ? { file: true } : {}),
        };
      });
  const globals = optionsOf(program);
  const nodes: CompletionNode[] = [];
  const visit = (cmd: Command, path: string): void => {
    const own = cmd === program ? [] : optionsOf(cmd);
    const choices = cmd.registeredArguments.flatMap((a) =>
      (a.argChoices ?? []).map((name) => ({ name, description: a.description })),
    );
    nodes.push({
      path,
      commands: [...cmd.commands.map((c) => ({ name: c.name(), description: c.description() })), ...choices],
      options: [
        ...own,
        ...(cmd === program ? globals : globals.filter((o) => o.flags[0] !== '--version')),
        HELP,
      ],
    });
    for (const sub of cmd.commands) visit(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  visit(program, '');
  return nodes;
}

/** `'it''s'` → a single-quoted shell word. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The first line of a description, short enough for a completion menu. */
function summary(description: string): string {
  const first = description.split('\n')[0] ?? '';
  return first.length > 70 ? `${first.slice(0, 69)}…` : first;
}

/**
 * The shell code both scripts share: finds the command path typed so far (words that are
 * commands; option values and arguments are passed over) into `path`. `words` names the shell's
 * array of words, `first` its index after `lifeboat`.
 */
function pathFinder(nodes: readonly CompletionNode[], words: string, first: number, current: string): string {
  const paths = nodes.map((n) => n.path).filter((p) => p !== '');
  return [
    '  local path="" word candidate i',
    `  for ((i = ${first}; i < ${current}; i++)); do`,
    `    word="\${${words}[i]}"`,
    '    case "$word" in -*) continue ;; esac',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template.
    '    candidate="${path:+$path }$word"',
    '    case "$candidate" in',
    `      ${paths.map(quote).join(' | ')}) path="$candidate" ;;`,
    '    esac',
    '  done',
  ].join('\n');
}

/** Bash: `eval "$(lifeboat completion bash)"`, or the output saved under bash-completion's directory. */
function bashScript(nodes: readonly CompletionNode[]): string {
  const valueCases = valueOptions(nodes)
    .map(({ flag, option }) =>
      option.choices
        ? `    ${flag}) COMPREPLY=($(compgen -W ${quote(option.choices.join(' '))} -- "$cur")); return ;;`
        : option.file
          ? `    ${flag}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`
          : `    ${flag}) return ;;`,
    )
    .join('\n');
  const pathCases = nodes
    .map((n) => {
      const words = [...n.commands.map((c) => c.name), ...n.options.flatMap((o) => o.flags)];
      return `    ${quote(n.path)}) words=${quote(words.join(' '))} ;;`;
    })
    .join('\n');
  return `# lifeboat completion for bash. Load it with: eval "$(lifeboat completion bash)"
# (or save it as ~/.local/share/bash-completion/completions/lifeboat).
_lifeboat() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" words
  case "$prev" in
${valueCases}
  esac
${pathFinder(nodes, 'COMP_WORDS', 1, 'COMP_CWORD')}
  case "$path" in
${pathCases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _lifeboat lifeboat
`;
}

/** Zsh: `source <(lifeboat completion zsh)`, or the output saved as `_lifeboat` on `$fpath`. */
function zshScript(nodes: readonly CompletionNode[]): string {
  const escapeColons = (text: string) => text.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  const valueCases = valueOptions(nodes)
    .map(({ flag, option }) =>
      option.choices
        ? `    ${flag}) compadd -- ${option.choices.map(quote).join(' ')}; return ;;`
        : option.file
          ? `    ${flag}) _files; return ;;`
          : `    ${flag}) _message ${quote(summary(option.description))}; return ;;`,
    )
    .join('\n');
  const pathCases = nodes
    .map((n) => {
      const items = [
        ...n.commands.map((c) => `${escapeColons(c.name)}:${summary(c.description)}`),
        ...n.options.flatMap((o) => o.flags.map((f) => `${escapeColons(f)}:${summary(o.description)}`)),
      ];
      return `    ${quote(n.path)}) items=(${items.map(quote).join(' ')}) ;;`;
    })
    .join('\n');
  return `#compdef lifeboat
# lifeboat completion for zsh. Load it with: source <(lifeboat completion zsh)
# (or save it as _lifeboat in a directory on $fpath, before compinit).
_lifeboat() {
  local prev="\${words[CURRENT-1]}"
  local -a items
  case "$prev" in
${valueCases}
  esac
${pathFinder(nodes, 'words', 2, 'CURRENT')}
  case "$path" in
${pathCases}
  esac
  _describe -t lifeboat 'lifeboat' items
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _lifeboat "$@"
else
  compdef _lifeboat lifeboat
fi
`;
}

/** Every option flag that takes a value, once (a flag means the same under every command). */
function valueOptions(nodes: readonly CompletionNode[]): { flag: string; option: CompletionOption }[] {
  const seen = new Map<string, CompletionOption>();
  for (const node of nodes) {
    for (const option of node.options) {
      if (!option.takesValue) continue;
      for (const flag of option.flags) if (!seen.has(flag)) seen.set(flag, option);
    }
  }
  return [...seen].map(([flag, option]) => ({ flag, option }));
}

/** The completion script for `shell`, generated from the command tree. */
export function completionScript(shell: CompletionShell, program: Command): string {
  const nodes = completionTree(program);
  return shell === 'bash' ? bashScript(nodes) : zshScript(nodes);
}
