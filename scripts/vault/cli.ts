/** `npm run vault -- <command>`: compliance retrieval from the vault, callable in-process (tests) or from main.ts. */
import type { TokenCredential } from "@azure/core-auth";
import type { ContainerClient } from "@azure/storage-blob";
import { loadEnvironments } from "../../config/load";
import { deriveNames } from "../../config/validate";
import { closestMatch } from "../../functions/shared/suggest";
import { runCommandLine } from "../cli-args";
import { parseArgs, USAGE, type VaultCommand } from "./args";
import { containerClientFor, operatorCredential, VaultCliError, type VaultContext, type VaultIo, type VaultNames } from "./context";
import { exportRecords } from "./export";
import { find } from "./find";
import { hold } from "./hold";
import { verify } from "./verify";

export interface RunOptions {
  readonly io: VaultIo;
  /** Process environment (configuration overrides, endpoint overrides). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** The sign-in to use. @default environment credentials, else the Azure CLI ({@link operatorCredential}) */
  readonly credential?: TokenCredential;
  /** The container client to use. @default one for the environment's blob endpoint, signed in with `credential` */
  readonly container?: ContainerClient;
  readonly now?: () => Date;
}

const COMMANDS: Readonly<Record<VaultCommand, (ctx: VaultContext) => Promise<number>>> = {
  find,
  verify,
  export: exportRecords,
  "hold set": (ctx) => hold(ctx, "set"),
  "hold clear": (ctx) => hold(ctx, "clear"),
};

/** The environment's vault names from its validated configuration (no synth needed). */
export function vaultNames(environment: string | undefined, env: NodeJS.ProcessEnv): VaultNames {
  if (!environment) throw new VaultCliError(`--env is required: the environment whose vault to read\n\n${USAGE}`, 2);
  const all = loadEnvironments({ env: { ...env, GCV_ENVIRONMENTS: "" }, onWarning: () => undefined });
  const config = all.find((e) => e.name === environment);
  if (!config) {
    const match = closestMatch(environment, all.map((e) => e.name));
    throw new VaultCliError(`unknown environment ${JSON.stringify(environment)}${match ? ` (did you mean "${match}"?)` : ""}; known: ${all.map((e) => e.name).join(", ")}`, 2);
  }
  const derived = deriveNames(config);
  return {
    environment,
    storageAccountName: config.azure.storageAccountName,
    blobEndpoint: env.GCV_VAULT_BLOB_ENDPOINT ?? derived.vaultBlobEndpoint,
    containerName: config.azure.containerName,
    resourceGroupName: config.azure.resourceGroupName,
    subscriptionId: config.azure.subscriptionId ?? env.ARM_SUBSCRIPTION_ID,
    managementEndpoint: env.GCV_VAULT_MANAGEMENT_ENDPOINT ?? "https://management.azure.com",
    writerAuth: derived.vaultWriterAuth,
  };
}

/** Runs one command; returns the exit code. Every failure is printed as one clear message. */
export async function runVault(argv: readonly string[], opts: RunOptions): Promise<number> {
  const env = opts.env ?? process.env;
  return runCommandLine("vault", opts.io, () => parseArgs(argv), async (args) => {
    let names: VaultNames;
    try {
      names = vaultNames(args.env, env);
    } catch (error) {
      if (error instanceof VaultCliError) throw error;
      throw new VaultCliError(`configuration: ${(error as Error).message}`, 2);
    }
    const credential = opts.credential ?? operatorCredential();
    const container = opts.container ?? containerClientFor(names, credential);
    return COMMANDS[args.command]({ args, names, credential, container, io: opts.io, now: opts.now ?? (() => new Date()) });
  });
}
