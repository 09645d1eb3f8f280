/**
 * How a function gets an authenticated client for the Azure vault container: the
 * one seam between "which credential" and "what to do with the container".
 *
 * Two kinds, chosen by `AZURE_VAULT_AUTH` ({@link containerAccess}):
 * - `federated` ({@link federatedContainerAccess}): the secret holds only the vault's
 *   coordinates `{"blobEndpoint","containerName","tenantId","clientId"}`; tokens come from
 *   the Lambda role's AWS identity (federated-credential.ts). What Azure lets the token do
 *   is decided by the Entra application's role assignment (writer: add + write; lister:
 *   blob read restricted to the List Blobs suboperation by an ABAC condition).
 * - `sas` ({@link sasContainerAccess}): a container SAS read from a Secrets Manager secret
 *   `{"blobEndpoint","containerName","sasToken","expiresOn"}`.
 * Callers (vault.ts, the reconciler) never see the secret or the token.
 */
import { AnonymousCredential, ContainerClient, newPipeline } from "@azure/storage-blob";
import { federatedContainerClient } from "./federated-credential";
import { getSecretFields, SecretError } from "./secrets";

/** Yields the authenticated container client. */
export interface ContainerAccess {
  /**
   * The client; cached while the credential is valid. `refresh: true` after Azure refused
   * the credential (403): re-read it once, since it may have been rotated or fixed.
   */
  container(opts?: { refresh?: boolean }): Promise<ContainerClient>;
  /** Where the credential comes from and when it expires, for error messages (never its value). */
  describe(): string;
  /** What to check after Azure refused the credential (403). */
  remedy(): string;
}

/** Settings of {@link containerAccess}. */
export interface ContainerAccessOptions extends SasContainerAccessOptions {
  /** @default "sas" */
  auth?: "federated" | "sas";
  /** Entra ID authority (federated mode). @default https://login.microsoftonline.com */
  authorityHost?: string;
}

/** The credential of `options.auth`'s kind, read from `options.secretArn`. */
export function containerAccess(options: ContainerAccessOptions): ContainerAccess {
  return options.auth === "federated" ? federatedContainerAccess(options) : sasContainerAccess(options);
}

/** Settings of {@link sasContainerAccess}. */
export interface SasContainerAccessOptions {
  /** ARN of the secret holding the SAS. */
  secretArn: string;
  /** Server-side timeout of each attempt (SDK tryTimeoutInMs). */
  requestTimeoutMs: number;
  /** Attempts per request (SDK retry policy). */
  maxTries: number;
}

/** Refresh the SAS this long before it expires. */
const EXPIRY_MARGIN_MS = 5 * 60_000;

/** A container SAS from Secrets Manager: re-read when close to `expiresOn` and once after a refusal. */
export function sasContainerAccess(options: SasContainerAccessOptions): ContainerAccess {
  let cached: { client: ContainerClient; expiresAt: number; key: string; expiresOn: string } | undefined;
  let pending: Promise<ContainerClient> | undefined;

  const load = async (forceFetch: boolean): Promise<ContainerClient> => {
    const secret = await getSecretFields(options.secretArn, ["blobEndpoint", "containerName", "sasToken", "expiresOn"], { forceFetch, afterRefusal: forceFetch });
    const expiresAt = Date.parse(secret.expiresOn);
    if (Number.isNaN(expiresAt)) throw new SecretError(`vault secret ${options.secretArn}: expiresOn is not a date`);
    if (expiresAt <= Date.now()) {
      throw new SecretError(`vault secret ${options.secretArn}: the SAS expired at ${secret.expiresOn} (setting expiresOn); re-apply the <env>-azure stack to rotate it`);
    }
    const key = `${secret.blobEndpoint}|${secret.containerName}|${secret.sasToken}`;
    if (cached?.key === key) {
      cached.expiresAt = expiresAt;
      return cached.client;
    }
    const url = `${secret.blobEndpoint.replace(/\/+$/, "")}/${encodeURIComponent(secret.containerName)}?${secret.sasToken.replace(/^\?/, "")}`;
    const pipeline = newPipeline(new AnonymousCredential(), {
      retryOptions: { maxTries: options.maxTries, tryTimeoutInMs: options.requestTimeoutMs, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
    });
    const client = new ContainerClient(url, pipeline);
    cached = { client, expiresAt, key, expiresOn: secret.expiresOn };
    return client;
  };

  return {
    container({ refresh = false } = {}) {
      if (!refresh && cached && cached.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return Promise.resolve(cached.client);
      // Re-read when forced, or when the cached SAS is about to expire (it may have been rotated).
      // Single flight: concurrent callers share one load (secrets.ts shares the read itself too).
      pending ??= load(refresh || cached !== undefined).finally(() => (pending = undefined));
      return pending;
    },
    describe() {
      return `the SAS in secret ${options.secretArn}${cached ? ` (expiresOn ${cached.expiresOn})` : ""}`;
    },
    remedy() {
      return "check that SAS's permissions and expiry (re-apply <env>-azure to rotate it) and the storage firewall";
    },
  };
}

/**
 * A federated identity whose coordinates are in Secrets Manager: the client fetches and
 * refreshes its own tokens; a refusal re-reads the coordinates once (the application may
 * have been re-created by a re-apply).
 */
export function federatedContainerAccess(options: SasContainerAccessOptions & { authorityHost?: string }): ContainerAccess {
  let cached: { client: ContainerClient; key: string; clientId: string } | undefined;
  let pending: Promise<ContainerClient> | undefined;
  const { secretArn, requestTimeoutMs, maxTries, authorityHost } = options;

  const load = async (forceFetch: boolean): Promise<ContainerClient> => {
    const coordinates = await getSecretFields(secretArn, ["blobEndpoint", "containerName", "tenantId", "clientId"], { forceFetch, afterRefusal: forceFetch });
    const key = `${coordinates.blobEndpoint}|${coordinates.containerName}|${coordinates.tenantId}|${coordinates.clientId}`;
    if (cached?.key === key) return cached.client;
    const client = federatedContainerClient(
      { ...coordinates, authorityHost },
      { requestTimeoutMs, maxTries, retryOptions: { maxTries, tryTimeoutInMs: requestTimeoutMs, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 } },
    );
    cached = { client, key, clientId: coordinates.clientId };
    return client;
  };

  return {
    container({ refresh = false } = {}) {
      if (!refresh && cached) return Promise.resolve(cached.client);
      pending ??= load(refresh).finally(() => (pending = undefined));
      return pending;
    },
    describe() {
      return `the federated identity in secret ${secretArn}${cached ? ` (application ${cached.clientId})` : ""}`;
    },
    remedy() {
      return "check the application's role assignment on the vault container and its federated credential's subject (the Lambda role's ARN; re-apply <env>-azure) and the storage firewall";
    },
  };
}
