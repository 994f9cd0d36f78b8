// Help text, generated from the command and option tables so it cannot drift from the parser.
import { COMMANDS, COMMON_OPTIONS, OPTIONS, type CommandName, type OptionName } from './args.ts';

const PROGRAM = 'gradient-lab';

/** "-e, --expr SOURCE" for the left column of an option list. */
function optionLabel(name: OptionName, command?: CommandName): string {
  const spec = OPTIONS[name];
  const metavar = (command && spec.helpFor?.[command]?.metavar) ?? spec.metavar;
  const long = `--${name}${metavar ? ` ${metavar}` : ''}`;
  return spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
}

function optionHelp(name: OptionName, command?: CommandName): string {
  return (command && OPTIONS[name].helpFor?.[command]?.help) ?? OPTIONS[name].help;
}

/** Two aligned columns, the left one indented by two spaces. */
function columns(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`);
}

const EXIT_CODES = [
  'Exit codes: 0 ok, 1 error in the program, its inputs or files, or a failed check,',
  '            2 malformed command line, 70 internal error.',
];

/** The overview: every command and every option, one line each. */
export function usage(): string {
  const commands = (Object.keys(COMMANDS) as CommandName[]).map((c) => [c, COMMANDS[c].summary] as const);
  const specific = (Object.keys(OPTIONS) as OptionName[]).filter((o) => !(COMMON_OPTIONS as readonly string[]).includes(o) && o !== 'help' && o !== 'version');
  return [
    `Usage: ${PROGRAM} <command> FILE|-e SOURCE [--size n=4,m=3] [options]`,
    '',
    'Compiles a Gradient Lab program with its sizes bound and runs it and its derivatives.',
    'Inputs default to seeded random normal values.',
    '',
    'Commands:',
    ...columns(commands),
    '',
    'Options for every command:',
    ...columns(COMMON_OPTIONS.map((o) => [optionLabel(o), optionHelp(o)] as const)),
    '',
    'Command options:',
    ...columns(specific.map((o) => {
      const users = (Object.keys(COMMANDS) as CommandName[]).filter((c) => COMMANDS[c].options.includes(o));
      return [optionLabel(o), `${optionHelp(o)} [${users.join(', ')}]`] as const;
    })),
    '',
    'Other:',
    ...columns([[optionLabel('help'), `show help; '${PROGRAM} help COMMAND' for one command`], [optionLabel('version'), OPTIONS.version.help]]),
    '',
    ...EXIT_CODES,
    '',
    'Example:',
    `  ${PROGRAM} jacobian examples/mlp.gl --size n=4,h=8,m=3 --mode auto`,
  ].join('\n') + '\n';
}

/** One command's usage and options. */
export function commandUsage(command: CommandName): string {
  if (command === 'help') return usage();
  const own = COMMANDS[command].options.map((o) => [optionLabel(o, command), optionHelp(o, command)] as const);
  return [
    `Usage: ${PROGRAM} ${command} FILE|-e SOURCE [--size n=4,m=3] [options]`,
    '',
    `${COMMANDS[command].summary[0].toUpperCase()}${COMMANDS[command].summary.slice(1)}.`,
    '',
    ...(own.length > 0 ? ['Options:', ...columns(own), ''] : []),
    'Options for every command:',
    ...columns(COMMON_OPTIONS.map((o) => [optionLabel(o), optionHelp(o)] as const)),
    '',
    ...EXIT_CODES,
  ].join('\n') + '\n';
}
