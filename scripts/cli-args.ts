/**
 * What the operator CLIs (`npm run ops`, `npm run vault`) share in parsing a command line:
 * the usage texts built from one help table, strict flags with "did you mean" suggestions,
 * and `help` / `--help` for the overview or one command. Each CLI keeps its own commands,
 * flags and error class (exit 2 for bad input).
 */
import { closestMatch } from "../functions/shared/suggest";

/** A failure the operator must see, with the process exit code it maps to. */
export class CliError extends Error {
  constructor(
    message: string,
    /** 1: the operation failed (or a mismatch); 2: bad input, nothing was done; 3: access refused or no sign-in, nothing was done. */
    readonly exitCode: 1 | 2 | 3 = 1,
  ) {
    super(message);
  }
}

/** Where a command writes, and how it asks. */
export interface CliIo {
  /** Results (stdout). */
  out(line: string): void;
  /** Progress, notes and errors (stderr). */
  err(line: string): void;
  /** Asks a yes/no question; resolves false on anything but yes. */
  confirm(question: string): Promise<boolean>;
  /** A person can answer `confirm` (stdin is a terminal). */
  readonly interactive: boolean;
}

/** One command's help: its synopsis line in the overview, and the text of `<command> --help`. */
export interface CommandHelp {
  readonly synopsis: string;
  readonly summary: string;
  readonly details: string;
}

/** A CLI's command-line grammar. */
export interface CliGrammar<C extends string> {
  /** `ops`, `vault`: as in `npm run <program> -- ...` */
  readonly program: string;
  readonly help: Readonly<Record<C, CommandHelp>>;
  /** The options block and what follows it in every help text. */
  readonly options: string;
  /** What `<command> --help` shows after the synopsis, e.g. `--env <env> [--json]`. */
  readonly commonFlags: string;
  /** First words of the commands (and `help`), for suggestions. */
  readonly words: readonly string[];
  /** The command the words name, or undefined when they name none (e.g. a group word alone). */
  commandOf(words: readonly string[]): C | undefined;
  readonly valueFlags: ReadonlySet<string>;
  readonly booleanFlags: ReadonlySet<string>;
  /** Value flags that may be given more than once. @default none */
  readonly repeatable?: ReadonlySet<string>;
  /** The CLI's error for bad input (exit 2). */
  badInput(message: string): Error;
}

const pad = (text: string) => text.padEnd(30);

/** The overview: every command's synopsis and summary, then the options. */
export function overview<C extends string>(g: Omit<CliGrammar<C>, "badInput" | "commandOf">): string {
  return `Usage: npm run ${g.program} -- <command> --env <env> [options]

Commands:
${(Object.values(g.help) as CommandHelp[])
  .map((h) => (h.synopsis.length < 30 ? `  ${pad(h.synopsis)}${h.summary}` : `  ${h.synopsis}\n  ${pad("")}${h.summary}`))
  .join("\n")}
  help [<command>]              this text, or one command's

${g.options}`;
}

/** The help of one command, for `<command> --help` and `help <command>`. */
export function commandUsage<C extends string>(g: CliGrammar<C>, command: C): string {
  const h = g.help[command];
  return `Usage: npm run ${g.program} -- ${h.synopsis} ${g.commonFlags}

${h.summary[0]!.toUpperCase()}${h.summary.slice(1)}.
${h.details}

${g.options}`;
}

/** Bad input for a command that does not exist, with the likely intended one. */
export function unknownCommand<C extends string>(g: CliGrammar<C>, word: string): Error {
  const match = closestMatch(word, g.words);
  return g.badInput(`unknown command ${JSON.stringify(word)}${match ? ` (did you mean "${match}"?)` : ""}\n\n${overview(g)}`);
}

/** A command line split into words and flags. */
export interface Tokens {
  readonly positional: string[];
  /** The last value of each value flag. */
  readonly values: Record<string, string>;
  /** Every value of each repeatable flag. */
  readonly repeated: Record<string, string[]>;
  /** Boolean flags given (`-h` as `--help`). */
  readonly flags: Set<string>;
}

/** Splits argv (without node and the script); `--flag=value` and `--flag value` both work. */
export function tokenize<C extends string>(g: CliGrammar<C>, argv: readonly string[]): Tokens {
  const tokens: Tokens = { positional: [], values: {}, repeated: {}, flags: new Set() };
  for (const flag of g.repeatable ?? []) tokens.repeated[flag] = [];
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const [flag, inline] = raw.startsWith("--") && raw.includes("=") ? [raw.slice(0, raw.indexOf("=")), raw.slice(raw.indexOf("=") + 1)] : [raw, undefined];
    if (g.valueFlags.has(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw g.badInput(`${flag} needs a value\n\n${overview(g)}`);
      if (g.repeatable?.has(flag)) tokens.repeated[flag]!.push(value);
      else if (tokens.values[flag] !== undefined && tokens.values[flag] !== value) throw g.badInput(`${flag} given twice`);
      else tokens.values[flag] = value;
    } else if (g.booleanFlags.has(flag)) {
      tokens.flags.add(flag === "-h" ? "--help" : flag);
    } else if (raw.startsWith("-")) {
      const match = closestMatch(flag, [...g.valueFlags, ...g.booleanFlags]);
      throw g.badInput(`unknown option ${raw}${match ? ` (did you mean ${match}?)` : ""}\n\n${overview(g)}`);
    } else {
      tokens.positional.push(raw);
    }
  }
  return tokens;
}

/** The help text asked for (`help [<command>]`, `--help`, or no command at all), or undefined. */
export function helpAsked<C extends string>(g: CliGrammar<C>, { positional, flags }: Tokens): string | undefined {
  if (positional[0] === "help") {
    if (positional.length === 1) return overview(g);
    const topic = g.commandOf(positional.slice(1));
    if (!topic) throw unknownCommand(g, positional.slice(1).join(" "));
    return commandUsage(g, topic);
  }
  if (flags.has("--help") || positional.length === 0) {
    const topic = g.commandOf(positional);
    return topic ? commandUsage(g, topic) : overview(g);
  }
  return undefined;
}

/**
 * Runs one command line: parses it, prints the help asked for, or runs the command; a
 * {@link CliError} becomes one `<program>: <message>` line on stderr and its exit code.
 */
export async function runCommandLine<A extends { readonly command: string; readonly helpText?: string }>(
  program: string,
  io: CliIo,
  parse: () => A,
  run: (args: A & { readonly command: Exclude<A["command"], "help"> }) => Promise<number>,
): Promise<number> {
  try {
    const args = parse();
    if (args.command === "help") {
      io.out(args.helpText ?? "");
      return 0;
    }
    return await run(args as A & { readonly command: Exclude<A["command"], "help"> });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.err(`${program}: ${error.message}`);
    return error.exitCode;
  }
}
