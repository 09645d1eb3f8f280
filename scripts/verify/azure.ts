/**
 * Azure checks run from the machine running verify:
 * - the vault firewall refuses it (an anonymous Get Container Properties answered 403
 *   `AuthorizationFailure`, the code Azure Storage gives a client its network rules block);
 * - the container's immutability policy is locked where the configuration says so
 *   (management-plane GET of `immutabilityPolicies/default` with the Azure CLI sign-in).
 */
import { execFile } from "node:child_process";
import type { EnvironmentConfig } from "../../config/types";
import { type CheckResult, fail, type Outcome, pass, runCheck, skip, TIMEOUTS } from "./checks";

/** The error code Azure Storage answers, with 403, to a request its firewall (network rules) refuses. */
export const FIREWALL_REFUSAL_CODE = "AuthorizationFailure";

/** Where the Azure checks send their requests (tests point them at local servers). */
export interface AzureEndpoints {
  /** @default `https://<account>.blob.core.windows.net` */
  readonly blob?: string;
  /** @default `https://management.azure.com` */
  readonly management?: string;
}

/** A management-plane bearer token, or why there is none. */
export type AzureToken = { readonly token: string } | { readonly unavailable: string };

/**
 * The operator's Azure sign-in: `az account get-access-token` for the management endpoint
 * (after `az login`, or in CI after azure/login). No secret is read from the environment.
 */
export function azureCliToken(timeoutMs: number = TIMEOUTS.azureSignIn): Promise<AzureToken> {
  return new Promise((resolve) => {
    execFile("az", ["account", "get-access-token", "--resource", "https://management.azure.com/", "--query", "accessToken", "--output", "tsv"], { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) {
        const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? "the Azure CLI (az) is not installed" : `az account get-access-token failed: ${(stderr || error.message).trim().split("\n")[0]}`;
        resolve({ unavailable: why });
      } else {
        resolve(stdout.trim() ? { token: stdout.trim() } : { unavailable: "az account get-access-token printed no token" });
      }
    });
  });
}

/** The firewall holds: this machine's anonymous request to the container is refused with 403 AuthorizationFailure. */
export function vaultFirewallCheck(config: EnvironmentConfig, endpoints: AzureEndpoints): Promise<CheckResult> {
  const base = endpoints.blob ?? `https://${config.azure.storageAccountName}.blob.core.windows.net`;
  const url = `${base}/${config.azure.containerName}?restype=container`;
  const fix = `the storage account's network rules must deny by default and allow only the NAT IPs (output nat_public_ips of ${config.name}-aws): apply ${config.name}-azure, and remove any IP, network or "Enabled from all networks" setting added by hand`;
  return runCheck(
    "vault firewall refuses this machine",
    TIMEOUTS.http,
    async (signal): Promise<Outcome> => {
      // Anonymous on purpose: no credential can change what the firewall decides.
      const response = await fetch(url, { method: "GET", headers: { "x-ms-version": "2025-01-05" }, signal, redirect: "manual" });
      const body = await response.text();
      const code = response.headers.get("x-ms-error-code") ?? /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
      if (response.status === 403 && code === FIREWALL_REFUSAL_CODE) return pass(`403 ${code}`);
      if (response.status === 403) {
        return fail(`answered 403 ${code ?? "(no error code)"}, not ${FIREWALL_REFUSAL_CODE}: the request passed the firewall and was refused later (authorization)`, fix);
      }
      return fail(`answered ${response.status}${code ? ` ${code}` : ""}: the firewall admitted this machine (${new URL(base).host})`, fix);
    },
    (error) => ({
      reason: `${new URL(base).host} could not be reached from this machine: ${(error as Error).message}${(error as { cause?: Error }).cause ? ` (${(error as { cause: Error }).cause.message})` : ""}`,
      fix: "check DNS and outbound HTTPS from this machine, and that the storage account exists; a firewall refusal is an HTTP 403, not a failed connection",
    }),
  );
}

/** `immutabilityPolicies/default` of the vault container: present, with the configured period, and Locked where `immutabilityLocked`. */
export function immutabilityCheck(config: EnvironmentConfig, endpoints: AzureEndpoints, env: NodeJS.ProcessEnv, token: () => Promise<AzureToken>): Promise<CheckResult> {
  const az = config.azure;
  const subscription = az.subscriptionId ?? env.ARM_SUBSCRIPTION_ID;
  const path = `/subscriptions/${subscription}/resourceGroups/${az.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${az.storageAccountName}/blobServices/default/containers/${az.containerName}/immutabilityPolicies/default`;
  return runCheck("vault immutability policy", TIMEOUTS.http + TIMEOUTS.azureSignIn, async (signal): Promise<Outcome> => {
    if (!subscription) return skip("no Azure subscription id: azure.subscriptionId is not set and ARM_SUBSCRIPTION_ID is empty", "set azure.subscriptionId in the configuration, or export ARM_SUBSCRIPTION_ID");
    const signIn = await token();
    if ("unavailable" in signIn) {
      return skip(`not checked: no Azure sign-in (${signIn.unavailable})`, "sign in with `az login` (an identity with Reader on the storage account), or in CI run azure/login first; then run verify again");
    }
    const response = await fetch(`${endpoints.management ?? "https://management.azure.com"}${path}?api-version=2024-01-01`, { headers: { Authorization: `Bearer ${signIn.token}` }, signal });
    const body = (await response.json().catch(() => ({}))) as { properties?: { state?: string; immutabilityPeriodSinceCreationInDays?: number }; error?: { code?: string; message?: string } };
    if (response.status === 401 || response.status === 403) {
      return fail(
        `Azure refused the read: ${response.status} ${body.error?.code ?? ""} ${body.error?.message?.slice(0, 200) ?? ""}`.trim(),
        `give the signed-in identity Reader on storage account ${az.storageAccountName} (Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/read), or sign in as one that has it`,
      );
    }
    if (response.status === 404) return fail(`no immutability policy on container ${az.containerName} (${body.error?.code ?? "404"})`, `apply ${config.name}-azure: the vault must be WORM`);
    if (!response.ok) return fail(`the management API answered ${response.status} ${body.error?.code ?? ""}`.trim(), "run verify again; if it persists, check Azure status for the region");
    const state = body.properties?.state;
    const days = body.properties?.immutabilityPeriodSinceCreationInDays;
    const summary = `${state ?? "no state"}, ${days ?? "?"} day(s)`;
    if (days !== az.immutabilityDays) {
      return fail(`${summary}; the configuration says ${az.immutabilityDays} day(s)`, `apply ${config.name}-azure (a locked policy can only be extended: if it is longer than configured, raise azure.immutabilityDays to match)`);
    }
    if (az.immutabilityLocked && state !== "Locked") {
      return fail(`${summary}; azure.immutabilityLocked is true, so a Contributor could still shorten or delete the policy`, `apply ${config.name}-azure, which locks it (locking is irreversible: make sure ${az.immutabilityDays} days is right)`);
    }
    return pass(summary);
  });
}
