/** Entry point of `npm run vault -- <command>` (see scripts/vault/args.ts for the usage). */
import { exitWith, terminalIo } from "../cli-main";
import { runVault } from "./cli";

exitWith("vault", runVault(process.argv.slice(2), { io: terminalIo("stderr") }));
