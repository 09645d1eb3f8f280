/** Command-line parsing of `npm run ops -- <command> ...`: typed, strict, with one usage text. */
import { OpsError } from "./context";

export type OpsCommand = "status" | "redrive" | "replay" | "failures list" | "failures retry";

export interface OpsArgs {
  readonly command: OpsCommand | "help";
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

export const USAGE = `Usage: npm run ops -- <command> --env <env> [options]

Commands:
  status                        depth and oldest age of every queue and DLQ, failed workflow
                                executions in the last 24 h, days left on the vault credential
  redrive <queue>               move a pipeline's dead-letter queue back into its queue
                                (<queue>: transcript-vault, interaction, config-sync, or the DLQ's name)
  replay --from <time> --to <time> [--pipeline <id>]
                                replay Genesys events from the EventBridge archive, only to that
                                pipeline's rule (transcript-vault or interaction); times in ISO 8601
                                with a zone, e.g. 2026-12-01T04:00:00Z
  failures list [--max <n>]     show events the interaction workflow could not apply
  failures retry [--max <n>]    put each back on the interaction queue (it waits for a workflow
                                slot like any event), then delete its failure record

Options:
  --env <env>     environment (names come from cdktf.out/stacks/<env>-aws: run npm run synth first)
  --dry-run       show what would happen; change nothing
  --yes           do not ask for confirmation (required when stdin is not a terminal)
  --max <n>       failures: at most this many messages (1-1000, default 50)
  --help          this text

Exit codes: 0 done, 1 failed, 2 bad input (nothing done), 3 access denied (nothing done).`;

const VALUE_FLAGS = new Set(["--env", "--from", "--to", "--pipeline", "--max"]);
const BOOLEAN_FLAGS = new Set(["--dry-run", "--yes", "--help", "-h"]);

/** Parses argv (without node and the script); throws {@link OpsError} (exit 2) with a precise reason. */
export function parseArgs(argv: readonly string[]): OpsArgs {
  const positional: string[] = [];
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const [flag, inline] = raw.startsWith("--") && raw.includes("=") ? [raw.slice(0, raw.indexOf("=")), raw.slice(raw.indexOf("=") + 1)] : [raw, undefined];
    if (VALUE_FLAGS.has(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw new OpsError(`${flag} needs a value\n\n${USAGE}`, 2);
      values[flag] = value;
    } else if (BOOLEAN_FLAGS.has(flag)) {
      flags.add(flag === "-h" ? "--help" : flag);
    } else if (raw.startsWith("-")) {
      throw new OpsError(`unknown option ${raw}\n\n${USAGE}`, 2);
    } else {
      positional.push(raw);
    }
  }
  const max = values["--max"] === undefined ? 50 : Number(values["--max"]);
  if (!Number.isInteger(max) || max < 1 || max > 1000) throw new OpsError(`--max must be an integer from 1 to 1000 (got ${JSON.stringify(values["--max"])})`, 2);
  const base = { env: values["--env"], dryRun: flags.has("--dry-run"), yes: flags.has("--yes"), from: values["--from"], to: values["--to"], pipeline: values["--pipeline"], max };
  if (flags.has("--help") || positional.length === 0) return { ...base, command: "help" };

  const [command, sub, ...rest] = positional;
  const extra = (allowed: number) => {
    if (positional.length > allowed) throw new OpsError(`unexpected argument ${JSON.stringify(positional[allowed])}\n\n${USAGE}`, 2);
  };
  switch (command) {
    case "status":
      extra(1);
      return { ...base, command: "status" };
    case "redrive":
      if (!sub) throw new OpsError(`redrive needs the queue: transcript-vault, interaction or config-sync\n\n${USAGE}`, 2);
      extra(2);
      return { ...base, command: "redrive", queue: sub };
    case "replay":
      extra(1);
      return { ...base, command: "replay" };
    case "failures":
      if (sub !== "list" && sub !== "retry") throw new OpsError(`failures needs "list" or "retry" (got ${JSON.stringify(sub ?? "")})\n\n${USAGE}`, 2);
      if (rest.length) extra(2);
      return { ...base, command: `failures ${sub}` };
    default:
      throw new OpsError(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`, 2);
  }
}
