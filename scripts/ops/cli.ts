/** `npm run ops -- <command>`: the operations CLI, callable in-process (tests) or from main.ts. */
import path from "node:path";
import { runCommandLine } from "../cli-args";
import { parseArgs } from "./args";
import { clientsFor, type OpsClients, type OpsIo } from "./context";
import { failuresList, failuresRetry } from "./failures";
import { loadInventory } from "./inventory";
import { redrive } from "./redrive";
import { replay } from "./replay";
import { status } from "./status";

export interface RunOptions {
  readonly io: OpsIo;
  /** cdktf output folder. @default `GCV_SYNTH_DIR`, else `<repo>/cdktf.out` */
  readonly synthDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly pollIntervalMs?: number;
  readonly now?: () => Date;
  /** Clients to use instead of the SDK's defaults for the environment's region. */
  readonly clients?: OpsClients;
}

const COMMANDS = { status, redrive, replay, "failures list": failuresList, "failures retry": failuresRetry } as const;

/** Runs one command; returns the exit code. Every failure is printed as one clear message. */
export async function runOps(argv: readonly string[], opts: RunOptions): Promise<number> {
  const env = opts.env ?? process.env;
  return runCommandLine("ops", opts.io, () => parseArgs(argv), async (args) => {
    const synthDir = opts.synthDir ?? env.GCV_SYNTH_DIR ?? path.resolve(__dirname, "..", "..", "..", "cdktf.out");
    const inventory = loadInventory(args.env, synthDir, env);
    const ctx = { args, inventory, aws: opts.clients ?? clientsFor(inventory.region), io: opts.io, pollIntervalMs: opts.pollIntervalMs ?? 5000, now: opts.now ?? (() => new Date()) };
    if (args.dryRun) opts.io.out("(dry run: nothing will be changed)");
    return COMMANDS[args.command](ctx);
  });
}
