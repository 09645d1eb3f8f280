/** Entry point of `npm run verify -- --env <env>` (see scripts/verify/args.ts for the usage). */
import { runVerify } from "./cli";

runVerify(process.argv.slice(2), { io: { out: (line) => console.log(line), err: (line) => console.error(line) } }).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`verify: unexpected failure: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
