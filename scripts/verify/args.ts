/** Command-line parsing of `npm run verify -- --env <env> [--json]`, strict like the ops CLI's. */
import { OpsError } from "../ops/context";

export interface VerifyArgs {
  readonly help: boolean;
  /** `--env`: the environment (required). */
  readonly env?: string;
  /** `--json`: one JSON document on stdout instead of the table. */
  readonly json: boolean;
}

export const USAGE = `Usage: npm run verify -- --env <env> [--json]

Proves, in the real account, every trust path the environment depends on: each function's
self-test under its own role (lambda:InvokeFunction), the partner event source and its rules,
the Genesys integration (where the Genesys side is managed here), the alarm subscriptions,
the vault firewall refusing this machine, and the vault's immutability policy.
Writes nothing but the functions' canary blobs (docs/operations.md, "Self-tests").

Options:
  --env <env>     environment (names come from cdktf.out/stacks/<env>-aws: run npm run synth first)
  --json          print one JSON document (checks with ok, durationMs, reason, fix) instead of the table
  --help          this text

Credentials: AWS from the usual chain (AWS_PROFILE, aws sso login, a role); Azure from the
Azure CLI sign-in (az login) for the immutability check; Genesys from
GENESYS_VERIFY_CLIENT_ID and GENESYS_VERIFY_CLIENT_SECRET (a read-only client) for the
integration check. A check whose credentials are missing is reported as skipped, with how to
provide them.

Exit codes: 0 every check passed (skipped and warned ones included), 1 a check failed,
2 bad input (nothing done), 3 no AWS credentials (nothing done).`;

/** Parses argv (without node and the script); throws {@link OpsError} (exit 2) with a precise reason. */
export function parseVerifyArgs(argv: readonly string[]): VerifyArgs {
  let env: string | undefined;
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const [flag, inline] = raw.startsWith("--") && raw.includes("=") ? [raw.slice(0, raw.indexOf("=")), raw.slice(raw.indexOf("=") + 1)] : [raw, undefined];
    if (flag === "--env") {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw new OpsError(`--env needs a value\n\n${USAGE}`, 2);
      env = value;
    } else if (flag === "--json") {
      json = true;
    } else if (flag === "--help" || flag === "-h") {
      help = true;
    } else if (raw.startsWith("-")) {
      throw new OpsError(`unknown option ${raw}\n\n${USAGE}`, 2);
    } else {
      throw new OpsError(`unexpected argument ${JSON.stringify(raw)}\n\n${USAGE}`, 2);
    }
  }
  return { help, env, json };
}
