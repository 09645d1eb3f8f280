/** Command-line parsing of `npm run vault -- <command> ...`: typed, strict, with per-command help. */
import { closestMatch } from "../../functions/shared/suggest";
import { type CliGrammar, type CommandHelp, commandUsage as usageOf, helpAsked, overview, tokenize, unknownCommand } from "../cli-args";
import { VaultCliError } from "./context";

export type VaultCommand = "find" | "verify" | "export" | "hold set" | "hold clear";

export interface VaultArgs {
  readonly command: VaultCommand | "help";
  /** With `help`: the text to print (the overview, or one command's help). */
  readonly helpText?: string;
  /** `--env`: the environment (required by every command). */
  readonly env?: string;
  /** `--json`: one JSON document on stdout instead of text. */
  readonly json: boolean;
  /** `--yes`: do not ask for confirmation (hold clear). */
  readonly yes: boolean;
  /** find/export: UTC days `yyyy-mm-dd`, inclusive. */
  readonly from?: string;
  readonly to?: string;
  readonly queue?: string;
  /** find: one conversation; verify/export: the conversations (positional ids and `--conversation`). */
  readonly conversations: readonly string[];
  /** export: the output folder. */
  readonly out?: string;
  /** hold: legal-hold tags. */
  readonly tags: readonly string[];
}

const COMMAND_HELP: Readonly<Record<VaultCommand, CommandHelp>> = {
  find: {
    synopsis: "find --from <day> --to <day> [--queue <id>] [--conversation <id>]",
    summary: "list the conversations archived on those UTC days (blob index tags), with blob count, kinds and manifest presence",
    details:
      "Days are yyyy-mm-dd (UTC, inclusive): a transcript's day is its conversation's end. Azure updates the blob index shortly after a write, so a blob written in the last minutes may not be listed yet. Needs the blobs/filter/action data action. Refused in environments whose writer uses a SAS (no index tags there): use verify or export with the conversation ids.",
  },
  verify: {
    synopsis: "verify <conversationId>...",
    summary: "recompute the SHA-256 of every blob against the conversation's manifest.json; report missing, extra and mismatched blobs, and the immutability state",
    details:
      "Reads only. Exit 1 on any mismatch, missing or extra blob, or a missing manifest. The container's immutability policy and legal hold come from the management plane; without that right the hashes are still verified and the output says the state could not be read.",
  },
  export: {
    synopsis: "export (--from <day> --to <day> [--queue <id>] | <conversationId>... | --conversation <id>...) --out <dir>",
    summary: "stream each conversation's manifest-listed blobs to <dir>/<conversationId>/, verifying every hash as it downloads, with an export manifest",
    details:
      "A file is written as <name>.part and renamed only once its SHA-256 and size match the manifest. <dir>/export-journal.jsonl records each completed file: run the same command again after an interruption and completed files are not downloaded again. <dir>/export-manifest.json lists every file (size, SHA-256, source blob, time), the query and the tool version. Progress goes to stderr. Exit 1 if any file failed verification or a conversation had no manifest.",
  },
  "hold set": {
    synopsis: "hold set --tag <case> [--tag <case>...]",
    summary: "place a legal hold with these tags on the vault container (management plane)",
    details:
      "Tags: 3 to 23 letters or digits (Azure stores them in lower case), e.g. the case number. A held container refuses every delete and overwrite until every tag is cleared, whatever the retention policy says. Needs Microsoft.Storage/storageAccounts/blobServices/containers/setLegalHold/action.",
  },
  "hold clear": {
    synopsis: "hold clear --tag <case> [--tag <case>...]",
    summary: "remove these legal-hold tags from the vault container (management plane)",
    details:
      "Asks for confirmation (or --yes). The hold ends only when no tag is left. Needs Microsoft.Storage/storageAccounts/blobServices/containers/clearLegalHold/action.",
  },
};

const OPTIONS = `Options:
  --env <env>           environment (names come from its configuration: no synth needed)
  --from, --to <day>    UTC days yyyy-mm-dd, inclusive
  --queue <id>          find/export: only conversations of this ACD queue (a UUID)
  --conversation <id>   find: only this conversation; verify, export: repeatable (export: instead of days)
  --out <dir>           export: the output folder (created; resumable)
  --tag <case>          hold: a legal-hold tag (repeatable)
  --json                one JSON document on stdout (progress and errors stay on stderr)
  --yes                 hold clear: do not ask for confirmation
  --help                this text; \`<command> --help\` or \`help <command>\`: that command's

Sign-in: your own Azure identity, from environment credentials (AZURE_TENANT_ID, AZURE_CLIENT_ID
and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH) if set, else the Azure CLI (\`az login\`).

Exit codes: 0 done, 1 failed or a mismatch, 2 bad input (nothing done), 3 access denied or no sign-in (nothing done).`;

/** The command the words name, or undefined when they name none (e.g. `hold` alone). */
function commandOf(words: readonly string[]): VaultCommand | undefined {
  const [command, sub] = words;
  if (command === "hold") return sub === "set" || sub === "clear" ? `hold ${sub}` : undefined;
  return command === "find" || command === "verify" || command === "export" ? command : undefined;
}

const GRAMMAR: CliGrammar<VaultCommand> = {
  program: "vault",
  help: COMMAND_HELP,
  options: `${OPTIONS}

Procedure for a legal request: docs/compliance.md.`,
  commonFlags: "--env <env> [--json]",
  words: ["find", "verify", "export", "hold", "help"],
  commandOf,
  valueFlags: new Set(["--env", "--from", "--to", "--queue", "--conversation", "--out", "--tag"]),
  booleanFlags: new Set(["--json", "--yes", "--help", "-h"]),
  repeatable: new Set(["--conversation", "--tag"]),
  badInput: (message) => new VaultCliError(message, 2),
};

export const USAGE = overview(GRAMMAR);

/** The help of one command, for `<command> --help` and `help <command>`. */
export const commandUsage = (command: VaultCommand): string => usageOf(GRAMMAR, command);

/** Parses argv (without node and the script); throws {@link VaultCliError} (exit 2) with a precise reason. */
export function parseArgs(argv: readonly string[]): VaultArgs {
  const tokens = tokenize(GRAMMAR, argv);
  const { positional, values, repeated, flags } = tokens;
  const base = {
    env: values["--env"],
    json: flags.has("--json"),
    yes: flags.has("--yes"),
    from: values["--from"],
    to: values["--to"],
    queue: values["--queue"],
    out: values["--out"],
    tags: repeated["--tag"]!,
    conversations: repeated["--conversation"]!,
  };
  const helpText = helpAsked(GRAMMAR, tokens);
  if (helpText !== undefined) return { ...base, command: "help", helpText };

  const [command, sub] = positional;
  const only = (allowed: readonly string[], what: VaultCommand) => {
    const given = Object.entries({ "--from": base.from, "--to": base.to, "--queue": base.queue, "--out": base.out, "--tag": base.tags.length ? "x" : undefined, "--conversation": base.conversations.length ? "x" : undefined, "--yes": base.yes ? "x" : undefined })
      .filter(([flag, value]) => value !== undefined && !allowed.includes(flag))
      .map(([flag]) => flag);
    if (given.length) throw new VaultCliError(`${what} does not take ${given.join(", ")}\n\n${commandUsage(what)}`, 2);
  };
  switch (command) {
    case "find":
      if (positional.length > 1) throw new VaultCliError(`unexpected argument ${JSON.stringify(positional[1])}\n\n${commandUsage("find")}`, 2);
      only(["--from", "--to", "--queue", "--conversation"], "find");
      if (base.conversations.length > 1) throw new VaultCliError(`find takes one --conversation (use verify or export for several)\n\n${commandUsage("find")}`, 2);
      return { ...base, command: "find" };
    case "verify":
      only(["--conversation"], "verify");
      return { ...base, command: "verify", conversations: [...positional.slice(1), ...base.conversations] };
    case "export":
      only(["--from", "--to", "--queue", "--conversation", "--out"], "export");
      return { ...base, command: "export", conversations: [...positional.slice(1), ...base.conversations] };
    case "hold": {
      if (sub !== "set" && sub !== "clear") {
        const hint = sub ? closestMatch(sub, ["set", "clear"]) : undefined;
        throw new VaultCliError(`hold needs "set" or "clear" (got ${JSON.stringify(sub ?? "")}${hint ? `; did you mean "${hint}"?` : ""})\n\n${USAGE}`, 2);
      }
      if (positional.length > 2) throw new VaultCliError(`unexpected argument ${JSON.stringify(positional[2])}\n\n${commandUsage(`hold ${sub}`)}`, 2);
      only(sub === "clear" ? ["--tag", "--yes"] : ["--tag"], `hold ${sub}`);
      return { ...base, command: `hold ${sub}` };
    }
    default:
      throw unknownCommand(GRAMMAR, command ?? "");
  }
}
