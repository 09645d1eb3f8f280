/** Entry point of `npm run ops -- <command>` (see scripts/ops/args.ts for the usage). */
import { exitWith, terminalIo } from "../cli-main";
import { runOps } from "./cli";

exitWith("ops", runOps(process.argv.slice(2), { io: terminalIo() }));
