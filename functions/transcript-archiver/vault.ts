/**
 * Create-only writes to the Azure Blob vault container.
 *
 * Every write carries `If-None-Match: *`: a blob that already exists answers 409
 * `BlobAlreadyExists`, which means "already archived" (a duplicate delivery or a
 * retry) and counts as success. Nothing is ever overwritten.
 *
 * The credential is either federated (`auth: "federated"`, what environments deploy by
 * default: an Entra ID token obtained with the Lambda role's AWS identity, see
 * vault-credential.ts; the secret holds only the vault's coordinates) or a container SAS (create + write only) read from Secrets Manager, refreshed
 * when close to `expiresOn`. Either way the secret is re-read once after a 403.
 */
import { createHash, randomBytes } from "node:crypto";
import { AnonymousCredential, ContainerClient, newPipeline, RestError } from "@azure/storage-blob";
import { getSecretFields } from "../shared/secrets";
import { federatedContainerClient } from "./vault-credential";

/** Blob metadata keys (lower case: Azure returns them lower-cased anyway). */
export interface BlobMetadata {
  conversationid?: string;
  topic?: string;
  eventtime?: string;
  [key: string]: string | undefined;
}

/** What a write did. */
export type WriteOutcome = "created" | "already-existed";

/** Settings of {@link Vault}. */
export interface VaultOptions {
  secretArn: string;
  /** Deadline of each operation (all its attempts); also sent as the server-side timeout of each attempt. */
  requestTimeoutMs: number;
  /** Attempts per request (SDK retry policy). */
  maxTries: number;
  /** How the writer authenticates. @default "sas" */
  auth?: "federated" | "sas";
  /** Entra ID authority (federated mode). @default https://login.microsoftonline.com */
  authorityHost?: string;
}

/** Refresh the SAS this long before it expires. */
const EXPIRY_MARGIN_MS = 5 * 60_000;
/** Block size of streamed uploads: memory held per upload is about MAX_BLOCKS_IN_FLIGHT x this. */
const BLOCK_SIZE = 4 * 1024 * 1024;
const MAX_BLOCKS_IN_FLIGHT = 2;

interface CachedContainer {
  client: ContainerClient;
  expiresAt: number;
  key: string;
}

/** Writes to the vault; one per process (module scope keeps the client warm). */
export class Vault {
  private cached?: CachedContainer;
  /** Set after a 403: the next write re-reads the secret (the SAS may have been rotated). */
  private refreshNext = false;

  constructor(private readonly options: VaultOptions) {}

  /** Writes a small blob (JSON, raw events) create-only, with its sha256 in metadata. */
  async putBytes(name: string, content: Buffer, metadata: BlobMetadata, contentType = "application/json"): Promise<WriteOutcome> {
    const sha256 = createHash("sha256").update(content).digest("hex");
    return this.createOnly(true, async (container) => {
      await container.getBlockBlobClient(name).upload(content, content.length, {
        abortSignal: this.timeout(),
        conditions: { ifNoneMatch: "*" },
        metadata: cleanMetadata({ ...metadata, sha256 }),
        blobHTTPHeaders: { blobContentType: contentType },
      });
    });
  }

  /**
   * Streams `body` into a blob without holding the whole content: blocks are staged
   * as they arrive while the sha256 is computed, then the block list is committed
   * create-only with the hash in metadata. If the stream fails, nothing is committed
   * (staged blocks are discarded by Azure); if `expectedLength` is given and differs
   * from what arrived, the upload fails instead of archiving a truncated file.
   */
  async putStream(
    name: string,
    body: ReadableStream<Uint8Array>,
    metadata: BlobMetadata,
    contentType: string,
    expectedLength?: number,
  ): Promise<WriteOutcome> {
    // A consumed stream cannot be replayed: no in-call retry after a 403 here.
    return this.createOnly(false, async (container) => {
      const blob = container.getBlockBlobClient(name);
      const hash = createHash("sha256");
      // A per-attempt prefix: concurrent or earlier attempts never mix blocks.
      const attempt = randomBytes(8).toString("hex");
      const blockIds: string[] = [];
      const inFlight = new Set<Promise<void>>();
      let failure: unknown;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let total = 0;

      const stage = async (chunk: Buffer) => {
        const id = Buffer.from(`${attempt}-${String(blockIds.length).padStart(6, "0")}`).toString("base64");
        blockIds.push(id);
        const staging = blob.stageBlock(id, chunk, chunk.length, { abortSignal: this.timeout() }).then(
          () => undefined,
          (error: unknown) => {
            failure ??= error;
          },
        );
        inFlight.add(staging);
        void staging.finally(() => inFlight.delete(staging));
        if (inFlight.size >= MAX_BLOCKS_IN_FLIGHT) await Promise.race(inFlight);
        if (failure) throw failure;
      };

      const reader = body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
          hash.update(chunk);
          total += chunk.length;
          pending.push(chunk);
          pendingBytes += chunk.length;
          while (pendingBytes >= BLOCK_SIZE) {
            const joined = Buffer.concat(pending);
            await stage(joined.subarray(0, BLOCK_SIZE));
            const rest = joined.subarray(BLOCK_SIZE);
            pending = rest.length ? [rest] : [];
            pendingBytes = rest.length;
          }
        }
      } catch (error) {
        await reader.cancel().catch(() => undefined);
        await Promise.allSettled(inFlight);
        throw error;
      }
      if (pendingBytes > 0) await stage(Buffer.concat(pending));
      await Promise.all(inFlight);
      if (failure) throw failure;
      if (expectedLength !== undefined && expectedLength !== total) {
        throw new Error(`download of ${name} ended after ${total} of ${expectedLength} bytes`);
      }
      await blob.commitBlockList(blockIds, {
        abortSignal: this.timeout(),
        conditions: { ifNoneMatch: "*" },
        metadata: cleanMetadata({ ...metadata, sha256: hash.digest("hex"), contentlength: String(total) }),
        blobHTTPHeaders: { blobContentType: contentType },
      });
    });
  }

  /**
   * Client-side deadline of one operation, SDK retries included. Needed because the
   * SDK's tryTimeoutInMs is only a server-side hint: a silent connection would hang.
   */
  private timeout(): AbortSignal {
    return AbortSignal.timeout(this.options.requestTimeoutMs);
  }

  /** Runs a create-only write; 409 "already exists" is success; a 403 refreshes the SAS (and retries if `replayable`). */
  private async createOnly(replayable: boolean, write: (container: ContainerClient) => Promise<void>): Promise<WriteOutcome> {
    for (let attempt = 1; ; attempt++) {
      const container = await this.container(this.refreshNext);
      this.refreshNext = false;
      try {
        await write(container);
        return "created";
      } catch (error) {
        if (isAlreadyExists(error)) return "already-existed";
        if (error instanceof RestError && error.statusCode === 403) {
          this.refreshNext = true;
          if (replayable && attempt === 1) continue;
        }
        throw error;
      }
    }
  }

  private async container(forceFetch: boolean): Promise<ContainerClient> {
    if (this.options.auth === "federated") return this.federatedContainer(forceFetch);
    if (!forceFetch && this.cached && this.cached.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return this.cached.client;
    // Re-read the secret when forced or when the cached SAS is about to expire (it may have been rotated).
    const mustRefetch = forceFetch || this.cached !== undefined;
    const secret = await getSecretFields(this.options.secretArn, ["blobEndpoint", "containerName", "sasToken", "expiresOn"], {
      forceFetch: mustRefetch,
    });
    const expiresAt = Date.parse(secret.expiresOn);
    if (Number.isNaN(expiresAt)) throw new Error(`vault secret ${this.options.secretArn}: expiresOn is not a date`);
    if (expiresAt <= Date.now()) throw new Error(`vault secret ${this.options.secretArn}: the SAS expired at ${secret.expiresOn}; rotate it`);
    const key = `${secret.blobEndpoint}|${secret.containerName}|${secret.sasToken}`;
    if (this.cached?.key === key) {
      this.cached.expiresAt = expiresAt;
      return this.cached.client;
    }
    const url = `${secret.blobEndpoint.replace(/\/+$/, "")}/${encodeURIComponent(secret.containerName)}?${secret.sasToken.replace(/^\?/, "")}`;
    const pipeline = newPipeline(new AnonymousCredential(), {
      retryOptions: { maxTries: this.options.maxTries, tryTimeoutInMs: this.options.requestTimeoutMs, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
    });
    const client = new ContainerClient(url, pipeline);
    this.cached = { client, expiresAt, key };
    return client;
  }

  /** Federated mode: the secret holds only coordinates; the client refreshes its own tokens. */
  private async federatedContainer(forceFetch: boolean): Promise<ContainerClient> {
    if (!forceFetch && this.cached) return this.cached.client;
    const { secretArn, requestTimeoutMs, maxTries, authorityHost } = this.options;
    const coordinates = await getSecretFields(secretArn, ["blobEndpoint", "containerName", "tenantId", "clientId"], { forceFetch: this.cached !== undefined });
    const key = `${coordinates.blobEndpoint}|${coordinates.containerName}|${coordinates.tenantId}|${coordinates.clientId}`;
    if (this.cached?.key === key) return this.cached.client;
    const client = federatedContainerClient(
      { ...coordinates, authorityHost },
      { requestTimeoutMs, maxTries, retryOptions: { maxTries, tryTimeoutInMs: requestTimeoutMs, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 } },
    );
    this.cached = { client, expiresAt: Number.POSITIVE_INFINITY, key };
    return client;
  }
}

function isAlreadyExists(error: unknown): boolean {
  if (!(error instanceof RestError) || error.statusCode !== 409) return false;
  return error.code === "BlobAlreadyExists" || error.code === "BlobImmutableDueToPolicy";
}

/** Metadata values are HTTP header values: ASCII only, no control characters. */
function cleanMetadata(metadata: BlobMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value === undefined) continue;
    out[key] = value.replace(/[^\x20-\x7e]/g, "?").slice(0, 1024);
  }
  return out;
}

/**
 * A blob-name segment from an untrusted file name: letters, digits, `.`, `_`, `-`
 * (others become `_`), no leading dots, at most 200 characters, never empty.
 */
export function safeFileName(name: string): string {
  const cleaned = name
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._]+/, "")
    .replace(/\.{2,}/g, ".");
  const limited = cleaned.length > 200 ? cleaned.slice(cleaned.length - 200) : cleaned;
  return limited || "attachment";
}
