/** What the command-line entry points (scripts/ops/main.ts, scripts/vault/main.ts) share: terminal I/O and the exit. */
import { createInterface } from "node:readline/promises";
import type { CliIo } from "./cli-args";

export type TerminalIo = CliIo;

/** stdout for results, stderr for messages; questions go to `promptTo` (stderr keeps `--json` output clean). */
export function terminalIo(promptTo: "stdout" | "stderr" = "stdout"): TerminalIo {
  return {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    interactive: Boolean(process.stdin.isTTY),
    async confirm(question) {
      const rl = createInterface({ input: process.stdin, output: promptTo === "stdout" ? process.stdout : process.stderr });
      try {
        return /^y(es)?$/i.test((await rl.question(question)).trim());
      } finally {
        rl.close();
      }
    },
  };
}

/** Exits with the command's code; an unexpected failure is printed with its stack and exits 1. */
export function exitWith(name: string, run: Promise<number>): void {
  run.then(
    (code) => process.exit(code),
    (error) => {
      console.error(`${name}: unexpected failure: ${(error as Error).stack ?? error}`);
      process.exit(1);
    },
  );
}
