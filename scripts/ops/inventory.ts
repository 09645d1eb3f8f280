/**
 * The environment's names, read from the synthesized AWS stack's `ops_inventory`
 * output (`cdktf.out/stacks/<env>-aws/cdk.tf.json`), after checking that the
 * environment is configured at all.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { OpsInventory } from "../../constructs/observability/ops-inventory";
import { loadEnvironments } from "../../config/load";
import type { EnvironmentConfig } from "../../config/types";
import { ConfigError } from "../../config/validate";
import { OpsError } from "./context";

/** Loads the inventory of `env`; `synthDir` is the cdktf output folder (holding `stacks/`). */
export function loadInventory(env: string | undefined, synthDir: string, processEnv: NodeJS.ProcessEnv = process.env): OpsInventory {
  return loadEnvironment(env, synthDir, processEnv).inventory;
}

/** The inventory of `env` and its configuration (with defaults applied, as synth saw it). */
export function loadEnvironment(env: string | undefined, synthDir: string, processEnv: NodeJS.ProcessEnv = process.env): { inventory: OpsInventory; config: EnvironmentConfig } {
  let environments: EnvironmentConfig[];
  try {
    // Every configured environment, whatever GCV_ENVIRONMENTS selects for synth.
    environments = loadEnvironments({ env: { ...processEnv, GCV_ENVIRONMENTS: "" } });
  } catch (error) {
    if (error instanceof ConfigError) throw new OpsError(error.message, 2);
    throw error;
  }
  const configured = environments.map((e) => e.name);
  if (!env) throw new OpsError(`--env is required (configured environments: ${configured.join(", ")})`, 2);
  if (!configured.includes(env)) throw new OpsError(`unknown environment "${env}" (configured environments: ${configured.join(", ")})`, 2);
  const file = path.join(synthDir, "stacks", `${env}-aws`, "cdk.tf.json");
  if (!existsSync(file)) {
    throw new OpsError(`no synthesized stack for "${env}" (${file}): run \`GCV_ENVIRONMENTS=${env} npm run synth\` with the configuration you deploy, then retry`, 2);
  }
  const inventory = (JSON.parse(readFileSync(file, "utf8")) as { output?: { ops_inventory?: { value?: OpsInventory } } }).output?.ops_inventory?.value;
  if (!inventory || inventory.environment !== env) {
    throw new OpsError(`${file} has no ops_inventory output for "${env}": synthesize again with this version of the program`, 2);
  }
  return { inventory, config: environments.find((e) => e.name === env)! };
}
