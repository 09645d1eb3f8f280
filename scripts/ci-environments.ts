/**
 * Prints the configured environments as a JSON array for a GitHub Actions matrix,
 * each with its stacks in deployment order, so the plan and deploy workflows
 * never hard-code the list:
 *
 *   [{"environment":"dev","stacks":["dev-aws","dev-azure"],"vaultWriter":"sas"}, ...]
 *
 * Usage: node scripts/run-ts.mjs scripts/ci-environments.ts [--only <env>] [--purpose deploy|credential-rotation]
 *   --only <env>      just this environment (fails clearly if it is not configured)
 *   --purpose credential-rotation
 *                     only environments whose vault writer is a SAS, and only their
 *                     `<env>-azure` stack: the scheduled re-apply that issues a fresh SAS
 *
 * Configuration is read exactly as synth reads it (samples, GCV_CONFIG_FILE,
 * cdktf.json context, GCV_* variables, GCV_ENVIRONMENTS). Only the JSON goes to
 * stdout; problems go to stderr with exit code 1.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadEnvironments, type EnvironmentOverrides } from "../config/load";
import type { EnvironmentConfig, VaultWriterAuth } from "../config/types";
import { ConfigError, deriveNames } from "../config/validate";
import { deploymentOrder } from "../stacks/environment";

export type Purpose = "deploy" | "credential-rotation";

export interface MatrixEntry {
  readonly environment: string;
  /** Stacks to plan or apply, in this order. */
  readonly stacks: readonly string[];
  /** How the AWS side writes to the vault; `sas` expires and needs the scheduled re-apply. */
  readonly vaultWriter: VaultWriterAuth;
}

/** How the environment's vault writer authenticates (`azure.writerAuth`). */
export function vaultWriterOf(env: EnvironmentConfig): MatrixEntry["vaultWriter"] {
  return deriveNames(env).vaultWriterAuth;
}

/** The matrix for `purpose`, optionally narrowed to one environment. */
export function environmentMatrix(envs: readonly EnvironmentConfig[], purpose: Purpose, only?: string): MatrixEntry[] {
  if (only !== undefined && !envs.some((e) => e.name === only)) {
    throw new ConfigError([`environment "${only}" is not configured (configured: ${envs.map((e) => e.name).join(", ")})`]);
  }
  return envs
    .filter((env) => only === undefined || env.name === only)
    .map((env) => ({ environment: env.name, stacks: deploymentOrder(env), vaultWriter: vaultWriterOf(env) }))
    .filter((entry) => purpose === "deploy" || entry.vaultWriter === "sas")
    .map((entry) => (purpose === "deploy" ? entry : { ...entry, stacks: entry.stacks.filter((s) => s === `${entry.environment}-azure`) }));
}

function parseArgs(argv: readonly string[]): { only?: string; purpose: Purpose } {
  let only: string | undefined;
  let purpose: Purpose = "deploy";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === "--only" && value !== undefined) {
      // An empty value (a workflow input left blank) means every environment.
      only = value.trim() || undefined;
      i++;
    } else if (arg === "--purpose" && (value === "deploy" || value === "credential-rotation")) {
      purpose = value;
      i++;
    } else {
      throw new ConfigError([`unknown argument ${JSON.stringify(arg)}; usage: ci-environments [--only <env>] [--purpose deploy|credential-rotation]`]);
    }
  }
  return { only, purpose };
}

function contextOverrides(root: string): EnvironmentOverrides | undefined {
  const file = path.join(root, "cdktf.json");
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, "utf8")) as { context?: { environments?: EnvironmentOverrides } }).context?.environments;
}

function main(): void {
  try {
    const { only, purpose } = parseArgs(process.argv.slice(2));
    const root = path.resolve(__dirname, "..", "..");
    const envs = loadEnvironments({ contextOverrides: contextOverrides(root) });
    process.stdout.write(`${JSON.stringify(environmentMatrix(envs, purpose, only))}\n`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

// Run when executed (run-ts.mjs compiles this file to .build/scripts/ci-environments.cjs), not when imported by tests.
if (/ci-environments\.(cjs|ts)$/.test(process.argv[1] ?? "")) main();
