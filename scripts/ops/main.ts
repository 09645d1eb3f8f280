/** Entry point of `npm run ops -- <command>` (see scripts/ops/args.ts for the usage). */
import { createInterface } from "node:readline/promises";
import { runOps } from "./cli";

runOps(process.argv.slice(2), {
  io: {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    interactive: Boolean(process.stdin.isTTY),
    async confirm(question) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return /^y(es)?$/i.test((await rl.question(question)).trim());
      } finally {
        rl.close();
      }
    },
  },
}).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`ops: unexpected failure: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
