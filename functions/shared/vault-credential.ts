/**
 * How a function gets an authenticated client for the Azure vault container: the
 * one seam between "which credential" and "what to do with the container".
 *
 * Today the credential is a container SAS read from a Secrets Manager secret
 * `{"blobEndpoint","containerName","sasToken","expiresOn"}` ({@link sasContainerAccess}).
 * Another credential kind (e.g. federated Entra ID) plugs in by implementing
 * {@link ContainerAccess}; callers (vault.ts, the reconciler) never see the secret.
 */
import { AnonymousCredential, ContainerClient, newPipeline } from "@azure/storage-blob";
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
    const secret = await getSecretFields(options.secretArn, ["blobEndpoint", "containerName", "sasToken", "expiresOn"], { forceFetch });
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
  };
}
