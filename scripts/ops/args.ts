/** Command-line parsing of `npm run ops -- <command> ...`: typed, strict, with one usage text. */
import { closestMatch } from "../../functions/shared/suggest";
import { type CliGrammar, type CommandHelp, commandUsage as usageOf, helpAsked, overview, tokenize, unknownCommand } from "../cli-args";
import { OpsError } from "./context";

export type OpsCommand = "status" | "redrive" | "replay" | "failures list" | "failures retry";

export interface OpsArgs {
  readonly command: OpsCommand | "help";
  /** With `help`: the text to print (the overview, or one command's help). */
  readonly helpText?: string;
  /** `--env`: the environment (required by every command). */
  readonly env?: string;
  /** `--dry-run`: show what would happen, change nothing. */
  readonly dryRun: boolean;
  /** `--yes`: do not ask for confirmation. */
  readonly yes: boolean;
  /** redrive: the queue (a pipeline id or its DLQ's name). */
  readonly queue?: string;
  /** replay window and scope. */
  readonly from?: string;
  readonly to?: string;
  readonly pipeline?: string;
  /** failures: the most messages to read. */
  readonly max: number;
}

const COMMAND_HELP: Readonly<Record<OpsCommand, CommandHelp>> = {
  status: {
    synopsis: "status",
    summary: "depth and oldest age of every queue and DLQ, failed workflow executions in the last 24 h, days left on the vault credential",
    details: "Reads only. Exit 1 when something needs attention (a DLQ with messages, failed executions, a credential close to expiry).",
  },
  redrive: {
    synopsis: "redrive <queue>",
    summary: "move a pipeline's dead-letter queue back into its queue",
    details: "<queue>: transcript-vault, interaction, config-sync, or the DLQ's name. Shows the count, asks, then reports the move task's progress (SQS StartMessageMoveTask).",
  },
  replay: {
    synopsis: "replay --from <time> --to <time> [--pipeline <id>]",
    summary: "replay Genesys events from the EventBridge archive, only to that pipeline's rule",
    details: "--pipeline: transcript-vault or interaction (default both). Times in ISO 8601 with a zone, e.g. 2026-12-01T04:00:00Z. The same window twice does not replay twice.",
  },
  "failures list": {
    synopsis: "failures list [--max <n>]",
    summary: "show events the interaction workflow could not apply",
    details: "Reads the failure queue without consuming it: each line has the event, the error and its cause. --max: 1-1000, default 50.",
  },
  "failures retry": {
    synopsis: "failures retry [--max <n>]",
    summary: "put each back on the interaction queue (it waits for a workflow slot like any event), then delete its failure record",
    details: "Fix the cause first (failures list shows it). A record is deleted only after SQS accepted its event. --max: 1-1000, default 50. --dry-run shows what would be retried.",
  },
};

const OPTIONS = `Options:
  --env <env>     environment (names come from cdktf.out/stacks/<env>-aws: run npm run synth first)
  --dry-run       show what would happen; change nothing
  --yes           do not ask for confirmation (required when stdin is not a terminal)
  --max <n>       failures: at most this many messages (1-1000, default 50)
  --help          this text; \`<command> --help\` or \`help <command>\`: that command's

Credentials: the usual AWS chain for the environment's account, e.g. AWS_PROFILE=<profile>
after \`aws sso login --profile <profile>\`.

Exit codes: 0 done, 1 failed, 2 bad input (nothing done), 3 access denied or no credentials (nothing done).`;

/** The command the words name, or undefined when they name none (e.g. `failures` alone). */
function commandOf(words: readonly string[]): OpsCommand | undefined {
  const [command, sub] = words;
  if (command === "failures") return sub === "list" || sub === "retry" ? `failures ${sub}` : undefined;
  return command === "status" || command === "redrive" || command === "replay" ? command : undefined;
}

const GRAMMAR: CliGrammar<OpsCommand> = {
  program: "ops",
  help: COMMAND_HELP,
  options: OPTIONS,
  commonFlags: "--env <env> [--dry-run] [--yes]",
  words: ["status", "redrive", "replay", "failures", "help"],
  commandOf,
  valueFlags: new Set(["--env", "--from", "--to", "--pipeline", "--max"]),
  booleanFlags: new Set(["--dry-run", "--yes", "--help", "-h"]),
  badInput: (message) => new OpsError(message, 2),
};

export const USAGE = overview(GRAMMAR);

/** The help of one command, for `<command> --help` and `help <command>`. */
export const commandUsage = (command: OpsCommand): string => usageOf(GRAMMAR, command);

/** Parses argv (without node and the script); throws {@link OpsError} (exit 2) with a precise reason. */
export function parseArgs(argv: readonly string[]): OpsArgs {
  const tokens = tokenize(GRAMMAR, argv);
  const { positional, values, flags } = tokens;
  const max = values["--max"] === undefined ? 50 : Number(values["--max"]);
  if (!Number.isInteger(max) || max < 1 || max > 1000) throw new OpsError(`--max must be an integer from 1 to 1000 (got ${JSON.stringify(values["--max"])})`, 2);
  const base = { env: values["--env"], dryRun: flags.has("--dry-run"), yes: flags.has("--yes"), from: values["--from"], to: values["--to"], pipeline: values["--pipeline"], max };
  const helpText = helpAsked(GRAMMAR, tokens);
  if (helpText !== undefined) return { ...base, command: "help", helpText };

  const [command, sub, ...rest] = positional;
  const extra = (allowed: number, usage: string) => {
    if (positional.length > allowed) throw new OpsError(`unexpected argument ${JSON.stringify(positional[allowed])}\n\n${usage}`, 2);
  };
  switch (command) {
    case "status":
      extra(1, commandUsage("status"));
      return { ...base, command: "status" };
    case "redrive":
      if (!sub) throw new OpsError(`redrive needs the queue: transcript-vault, interaction or config-sync\n\n${commandUsage("redrive")}`, 2);
      extra(2, commandUsage("redrive"));
      return { ...base, command: "redrive", queue: sub };
    case "replay":
      extra(1, commandUsage("replay"));
      return { ...base, command: "replay" };
    case "failures": {
      if (sub !== "list" && sub !== "retry") {
        const hint = sub ? closestMatch(sub, ["list", "retry"]) : undefined;
        throw new OpsError(`failures needs "list" or "retry" (got ${JSON.stringify(sub ?? "")}${hint ? `; did you mean "${hint}"?` : ""})\n\n${USAGE}`, 2);
      }
      const usage = commandUsage(`failures ${sub}`);
      if (rest.length) extra(2, usage);
      return { ...base, command: `failures ${sub}` };
    }
    default:
      throw unknownCommand(GRAMMAR, command ?? "");
  }
}
