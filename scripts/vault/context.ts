/**
 * What every vault command gets: the parsed arguments, the environment's vault names (from its
 * validated configuration, so no synth is needed), the operator's Azure sign-in, a container
 * client and the management-plane client, and an output channel that tests capture.
 */
import type { TokenCredential } from "@azure/core-auth";
import { AzureCliCredential, ChainedTokenCredential, EnvironmentCredential } from "@azure/identity";
import { ContainerClient, type RestError, type StoragePipelineOptions } from "@azure/storage-blob";
import { CliError, type CliIo } from "../cli-args";
import type { VaultArgs } from "./args";

/** A vault CLI failure (exit 1: failed or a mismatch; 2: bad input; 3: access denied or no sign-in). */
export class VaultCliError extends CliError {
  override readonly name = "VaultCliError";
}

/** Where a command writes (results on stdout, progress on stderr), and how it asks. */
export type VaultIo = CliIo;

/** The vault of one environment, as its configuration names it. */
export interface VaultNames {
  readonly environment: string;
  readonly storageAccountName: string;
  /** e.g. `https://<account>.blob.core.windows.net` (GCV_VAULT_BLOB_ENDPOINT overrides it). */
  readonly blobEndpoint: string;
  readonly containerName: string;
  readonly resourceGroupName: string;
  /** azure.subscriptionId, else ARM_SUBSCRIPTION_ID; needed only by the management plane. */
  readonly subscriptionId?: string;
  /** https://management.azure.com (GCV_VAULT_MANAGEMENT_ENDPOINT overrides it). */
  readonly managementEndpoint: string;
  /** How the archiver writes: index tags exist only in `federated` mode. */
  readonly writerAuth: "federated" | "sas";
}

export interface VaultContext {
  readonly args: VaultArgs;
  readonly names: VaultNames;
  readonly credential: TokenCredential;
  readonly container: ContainerClient;
  readonly io: VaultIo;
  readonly now: () => Date;
}

/** Scopes of the two planes (Azure Storage data plane; Azure Resource Manager). */
export const STORAGE_SCOPE = "https://storage.azure.com/.default";
export const MANAGEMENT_SCOPE = "https://management.azure.com/.default";

/**
 * The operator's sign-in: environment credentials first (a service principal in CI, when
 * AZURE_CLIENT_ID and friends are set), else the Azure CLI's signed-in account. Not
 * DefaultAzureCredential: its managed-identity and workload-identity steps would make a
 * laptop probe the instance metadata endpoint, and an operator's command must act as the
 * operator, not as whatever identity the machine happens to have.
 */
export function operatorCredential(): TokenCredential {
  return new ChainedTokenCredential(new EnvironmentCredential(), new AzureCliCredential());
}

/** How to sign in, for every "no sign-in" message. */
export const SIGN_IN_HINT =
  "Sign in first: `az login` (and `az account set --subscription <id>`), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) of a principal that may read the vault (docs/compliance.md#who-may-do-what).";

const NO_SIGN_IN = /^(CredentialUnavailableError|AggregateAuthenticationError|AuthenticationRequiredError|AuthenticationError)$/;

/** True when the error means "no usable sign-in" rather than "this identity may not do this". */
export function isSignInError(error: unknown): boolean {
  return NO_SIGN_IN.test((error as { name?: string })?.name ?? "");
}

/** Gets a token once up front, so a missing sign-in is one clear message before anything is read or written. */
export async function requireSignIn(credential: TokenCredential, scope: string): Promise<void> {
  try {
    const token = await credential.getToken(scope);
    if (!token) throw Object.assign(new Error("the credential returned no token"), { name: "CredentialUnavailableError" });
  } catch (error) {
    throw signInFailure(error);
  }
}

export function signInFailure(error: unknown): VaultCliError {
  // A chain's error carries each credential's reason (no environment credentials, no Azure CLI, ...).
  const inner = (error as { errors?: unknown[] })?.errors;
  const reasons = Array.isArray(inner) && inner.length ? inner : [error];
  const reason = reasons.map((e) => firstLine((e as Error)?.message ?? String(e)).replace(/\.+$/, "")).join("; ");
  return new VaultCliError(`no Azure sign-in: ${reason}. ${SIGN_IN_HINT} Nothing was read or written.`, 3);
}

/** A container client signed in as the operator, with the SDK's retries. */
export function containerClientFor(names: VaultNames, credential: TokenCredential): ContainerClient {
  const options: StoragePipelineOptions = { retryOptions: { maxTries: 4 } };
  return new ContainerClient(`${names.blobEndpoint.replace(/\/$/, "")}/${names.containerName}`, credential, options);
}

/**
 * Turns a data-plane failure into a {@link VaultCliError}: no sign-in or a 403 (exit 3) names the
 * data action the caller's role lacks.
 */
export function blobFailure(error: unknown, action: string, dataAction: string): VaultCliError {
  if (error instanceof VaultCliError) return error;
  if (isSignInError(error)) return signInFailure(error);
  const e = error as Partial<RestError>;
  if (typeof e?.statusCode === "number") {
    if (e.statusCode === 403 || e.statusCode === 401) {
      return new VaultCliError(
        `access denied: ${action} needs the data action ${dataAction} on the vault container (${e.code ?? e.statusCode}). Ask for the auditor role (docs/compliance.md#who-may-do-what), and read from an allowed network.`,
        3,
      );
    }
    if (e.code === "ContainerNotFound") return new VaultCliError(`${action}: the vault container does not exist at this endpoint: is the environment deployed, and is --env right?`, 1);
    return new VaultCliError(`${action} failed: ${e.code ?? e.statusCode}: ${firstLine(e.message ?? "")}`, 1);
  }
  return new VaultCliError(`${action} failed: ${firstLine((error as Error)?.message ?? String(error))}`, 1);
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.trim();
}

/** Genesys conversation and queue ids are UUIDs; nothing else may reach a tag expression or a path. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireUuid(value: string, what: string): string {
  if (!UUID.test(value)) throw new VaultCliError(`${what} must be a Genesys id (a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6), got ${JSON.stringify(value)}`, 2);
  return value.toLowerCase();
}

/** A real calendar day `yyyy-mm-dd`. */
export function requireDay(value: string | undefined, flag: string): string {
  if (value === undefined) throw new VaultCliError(`${flag} is required: a UTC day yyyy-mm-dd`, 2);
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!date || date.toISOString().slice(0, 10) !== value) throw new VaultCliError(`${flag} must be a UTC day yyyy-mm-dd (e.g. 2026-03-01), got ${JSON.stringify(value)}`, 2);
  return value;
}

/** The validated day range of `--from`/`--to`. */
export function dayRange(args: VaultArgs): { from: string; to: string } {
  const from = requireDay(args.from, "--from");
  const to = requireDay(args.to, "--to");
  if (to < from) throw new VaultCliError(`--to (${to}) is before --from (${from})`, 2);
  return { from, to };
}

/** Runs async work over items with at most `limit` in flight, in order of start. */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
