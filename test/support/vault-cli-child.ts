/**
 * Runs `npm run vault -- <args>` in its own process against Azurite (GCV_VAULT_BLOB_ENDPOINT):
 * the container client signs with the development account's key and the sign-in is a fixed
 * token, since Azurite over HTTP takes no bearer tokens. Used where a test or benchmark must
 * kill the CLI mid-way or measure it: with VAULT_CHILD_RUSAGE set, the process writes there, when
 * it ends, `{ "maxRssKb": <peak resident memory>, "runMs": <time in the command> }`.
 * Usage: node scripts/run-ts.mjs test/support/vault-cli-child.ts export --env dev ...
 */
import { writeFileSync } from "node:fs";
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { runVault, vaultNames } from "../../scripts/vault/cli";
import { AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY } from "./azurite";

const argv = process.argv.slice(2);
const envName = argv[argv.indexOf("--env") + 1]!;
const names = vaultNames(envName, process.env);
const container = new ContainerClient(`${names.blobEndpoint}/${names.containerName}`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY));

const started = performance.now();
runVault(argv, {
  io: { out: (line) => console.log(line), err: (line) => console.error(line), interactive: false, confirm: async () => false },
  credential: { getToken: async () => ({ token: "operator", expiresOnTimestamp: Date.now() + 3_600_000 }) },
  container,
}).then((code) => {
  const runMs = performance.now() - started;
  if (process.env.VAULT_CHILD_RUSAGE) writeFileSync(process.env.VAULT_CHILD_RUSAGE, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, runMs }));
  process.exit(code);
});
