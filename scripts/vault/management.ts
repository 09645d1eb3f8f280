/**
 * The vault container on the management plane (Azure Resource Manager, Microsoft.Storage
 * api-version 2024-01-01): its immutability policy and legal hold.
 * - Blob Containers - Get: https://learn.microsoft.com/rest/api/storagerp/blob-containers/get
 * - Set Legal Hold: https://learn.microsoft.com/rest/api/storagerp/blob-containers/set-legal-hold
 * - Clear Legal Hold: https://learn.microsoft.com/rest/api/storagerp/blob-containers/clear-legal-hold
 */
import type { TokenCredential } from "@azure/core-auth";
import { isSignInError, MANAGEMENT_SCOPE, signInFailure, VaultCliError, type VaultNames } from "./context";

export const ARM_API_VERSION = "2024-01-01";

const CONTAINER_ACTION = "Microsoft.Storage/storageAccounts/blobServices/containers";
export const READ_ACTION = `${CONTAINER_ACTION}/read`;
export const HOLD_ACTIONS = { set: `${CONTAINER_ACTION}/setLegalHold/action`, clear: `${CONTAINER_ACTION}/clearLegalHold/action` } as const;

/** What protects the container's blobs. */
export interface ContainerProtection {
  /** The time-based retention (WORM) policy, when there is one. */
  readonly immutability?: { readonly days: number; readonly state: string };
  readonly legalHold: { readonly active: boolean; readonly tags: readonly string[] };
}

/** An ARM answer other than success: its status and ARM's error code and message. */
export class ManagementError extends Error {
  override readonly name = "ManagementError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Legal-hold tags: 3 to 23 letters or digits (the LegalHold model; Azure stores them lower-cased). */
export function requireHoldTags(tags: readonly string[]): string[] {
  if (!tags.length) throw new VaultCliError("--tag is required: the case the hold is for, 3 to 23 letters or digits (e.g. --tag case2026x41)", 2);
  for (const tag of tags) {
    if (!/^[A-Za-z0-9]{3,23}$/.test(tag)) throw new VaultCliError(`--tag ${JSON.stringify(tag)} is not a legal-hold tag: Azure accepts 3 to 23 letters or digits, nothing else`, 2);
  }
  return [...new Set(tags.map((t) => t.toLowerCase()))];
}

export class ManagementPlane {
  constructor(
    private readonly names: VaultNames,
    private readonly credential: TokenCredential,
  ) {}

  /** The container's resource path; throws (exit 2) when no subscription is configured. */
  containerPath(): string {
    const { subscriptionId, resourceGroupName, storageAccountName, containerName } = this.names;
    if (!subscriptionId) {
      throw new VaultCliError(
        `no Azure subscription for environment ${this.names.environment}: set azure.subscriptionId, GCV_${this.names.environment.toUpperCase()}_AZURE_SUBSCRIPTION_ID or ARM_SUBSCRIPTION_ID`,
        2,
      );
    }
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${storageAccountName}/blobServices/default/containers/${containerName}`;
  }

  async protection(): Promise<ContainerProtection> {
    const body = (await this.request("GET", this.containerPath())) as {
      properties?: {
        immutabilityPolicy?: { properties?: { immutabilityPeriodSinceCreationInDays?: number; state?: string }; immutabilityPeriodSinceCreationInDays?: number; state?: string };
        legalHold?: { hasLegalHold?: boolean; tags?: Array<{ tag?: string }> };
        hasLegalHold?: boolean;
      };
    };
    const props = body.properties ?? {};
    // ImmutabilityPolicyProperties nests its fields under "properties" (flattened by the SDKs).
    const policy = props.immutabilityPolicy?.properties ?? props.immutabilityPolicy;
    const days = policy?.immutabilityPeriodSinceCreationInDays;
    const tags = (props.legalHold?.tags ?? []).map((t) => t.tag).filter((t): t is string => typeof t === "string");
    return {
      immutability: typeof days === "number" && days > 0 ? { days, state: policy?.state ?? "Unknown" } : undefined,
      legalHold: { active: Boolean(props.legalHold?.hasLegalHold ?? props.hasLegalHold ?? tags.length > 0), tags },
    };
  }

  /** Sets (appends) or clears these hold tags; returns the container's hold afterwards. */
  async legalHold(operation: "set" | "clear", tags: readonly string[]): Promise<{ active: boolean; tags: string[] }> {
    const path = `${this.containerPath()}/${operation === "set" ? "setLegalHold" : "clearLegalHold"}`;
    const body = (await this.request("POST", path, { tags })) as { hasLegalHold?: boolean; tags?: string[] };
    return { active: Boolean(body.hasLegalHold), tags: body.tags ?? [] };
  }

  private async request(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    let token: string;
    try {
      const t = await this.credential.getToken(MANAGEMENT_SCOPE);
      if (!t) throw Object.assign(new Error("the credential returned no token"), { name: "CredentialUnavailableError" });
      token = t.token;
    } catch (error) {
      if (isSignInError(error)) throw signInFailure(error);
      throw error;
    }
    const url = `${this.names.managementEndpoint.replace(/\/$/, "")}${path}?api-version=${ARM_API_VERSION}`;
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    let json: { error?: { code?: string; message?: string } } = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      // a proxy's HTML page: the status says enough
    }
    if (!response.ok) throw new ManagementError(response.status, json.error?.code ?? String(response.status), json.error?.message ?? response.statusText);
    return json;
  }
}

/**
 * A management-plane failure as the operator sees it: 403 AuthorizationFailed names the action
 * the caller lacks (ARM's message names it too), 401 is a sign-in problem.
 */
export function managementFailure(error: unknown, what: string, action: string): VaultCliError {
  if (error instanceof VaultCliError) return error;
  if (error instanceof ManagementError) {
    if (error.status === 403) {
      return new VaultCliError(`access denied: ${what} needs ${action} on the vault container (${error.code}); ask for the legal-hold manager role (docs/compliance.md#who-may-do-what). Nothing was changed.`, 3);
    }
    if (error.status === 401) return new VaultCliError(`the management plane refused the sign-in (${error.code}: ${error.message}). Sign in again (\`az login\`). Nothing was changed.`, 3);
    return new VaultCliError(`${what} failed: ${error.status} ${error.code}: ${error.message}`, error.status === 400 || error.status === 404 ? 2 : 1);
  }
  return new VaultCliError(`${what} failed: ${(error as Error)?.message ?? String(error)}`, 1);
}
