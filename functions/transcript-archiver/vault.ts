/**
 * Create-only writes to the Azure Blob vault container.
 *
 * Every write carries `If-None-Match: *`: a blob that already exists answers 409
 * `BlobAlreadyExists`, which means "already archived" (a duplicate delivery or a
 * retry) and counts as success. Nothing is ever overwritten.
 *
 * Credentials come from {@link ContainerAccess} (shared/vault-credential.ts): the
 * writer (create + write only) and, for {@link Vault.list}, the lister (list only:
 * names, sizes and metadata, never content). Each is either federated (`auth:
 * "federated"`, what environments deploy by default: an Entra ID token obtained with
 * the Lambda role's AWS identity; the secret holds only the vault's coordinates) or a
 * container SAS read from Secrets Manager. After a 403 the credential is re-read once
 * (it may have been rotated). Failures name the blob, the host and path (never the
 * SAS) and the setting to look at.
 */
import { createHash, randomBytes } from "node:crypto";
import { RestError, type ContainerClient } from "@azure/storage-blob";
import { containerAccess, type ContainerAccess } from "../shared/vault-credential";

/** Blob metadata keys (lower case: Azure returns them lower-cased anyway). */
export interface BlobMetadata {
  conversationid?: string;
  topic?: string;
  eventtime?: string;
  [key: string]: string | undefined;
}

/**
 * Blob index tags written with a blob at creation, so compliance can find it (`npm run vault -- find`).
 * Keys and values use the characters Azure allows (letters, digits, space and `+-.:=_/`), at most 10
 * per blob; never personal data (no names, addresses, message text).
 */
export interface IndexTags {
  conversationId?: string;
  /** event, transcript, attachment, manifest or quarantine */
  kind: string;
  /** UTC day, `yyyy-mm-dd`: the conversation's end for transcript blobs, the event's day for events. */
  date: string;
  /** The conversation's media type in lower case (`message`, `voice`), when known. */
  mediaType?: string;
  /** The ACD queue, when the event names one. */
  queueId?: string;
}

/** What a write did. */
export type WriteOutcome = "created" | "already-existed";

/** A written (or already present) blob: what the write sent. */
export interface WrittenBlob {
  outcome: WriteOutcome;
  /** SHA-256 (hex) of the content this call sent. */
  sha256: string;
  size: number;
}

/** A blob as listed: size and the sha256 its writer stored in metadata. */
export interface ListedBlob {
  name: string;
  size: number;
  sha256?: string;
}

/** Settings of {@link Vault}. */
export interface VaultOptions {
  secretArn: string;
  /** Secret of the list-only SAS (existence and metadata, never content). */
  listerSecretArn?: string;
  /** Deadline of each operation (all its attempts); also sent as the server-side timeout of each attempt. */
  requestTimeoutMs: number;
  /** Attempts per request (SDK retry policy). */
  maxTries: number;
  /** How the writer and the lister authenticate. @default "sas" */
  auth?: "federated" | "sas";
  /** Entra ID authority (federated mode). @default https://login.microsoftonline.com */
  authorityHost?: string;
  /** The writer credential. @default from `secretArn` in the `auth` mode */
  access?: ContainerAccess;
  /** The lister credential. @default from `listerSecretArn` in the `auth` mode */
  lister?: ContainerAccess;
  /**
   * Send blob index tags with every write. Needs `blobs/tags/write` (federated role) or the SAS `t`
   * permission, which the pinned azurerm container-SAS data source cannot grant (docs/compliance.md).
   * @default true in `federated` mode, false in `sas` mode
   */
  indexTags?: boolean;
}

/** A vault operation failed: the message names the blob, the endpoint and the setting to check. */
export class VaultError extends Error {
  override readonly name = "VaultError";
  /** Azure's error code (`x-ms-error-code`), when Azure answered. */
  readonly code?: string;
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    if (options?.cause instanceof RestError && options.cause.code) this.code = options.cause.code;
  }
}

/** Block size of streamed uploads: memory held per upload is about MAX_BLOCKS_IN_FLIGHT x this. */
const BLOCK_SIZE = 4 * 1024 * 1024;
const MAX_BLOCKS_IN_FLIGHT = 2;

/** Writes to the vault; one per process (module scope keeps the client warm). */
export class Vault {
  private readonly access: ContainerAccess;
  private readonly lister?: ContainerAccess;

  constructor(private readonly options: VaultOptions) {
    const settings = { auth: options.auth, authorityHost: options.authorityHost, requestTimeoutMs: options.requestTimeoutMs, maxTries: options.maxTries };
    this.access = options.access ?? containerAccess({ secretArn: options.secretArn, ...settings });
    // Federated: one identity holds both the create-only and the list-only assignment (one token).
    const sameIdentity = options.listerSecretArn === options.secretArn;
    this.lister = options.lister ?? (sameIdentity ? this.access : options.listerSecretArn ? containerAccess({ secretArn: options.listerSecretArn, ...settings }) : undefined);
  }

  /** Writes a small blob (JSON, raw events) create-only, with its sha256 in metadata and its index tags. */
  async putBytes(name: string, content: Buffer, metadata: BlobMetadata, tags: IndexTags, contentType = "application/json"): Promise<WrittenBlob> {
    const sha256 = createHash("sha256").update(content).digest("hex");
    const outcome = await this.createOnly(name, "upload", true, async (container) => {
      await container.getBlockBlobClient(name).upload(content, content.length, {
        abortSignal: this.timeout(),
        conditions: { ifNoneMatch: "*" },
        metadata: cleanMetadata({ ...metadata, sha256 }),
        tags: this.tagsOf(tags),
        blobHTTPHeaders: { blobContentType: contentType },
      });
    });
    return { outcome, sha256, size: content.length };
  }

  /**
   * Streams `body` into a blob without holding the whole content: blocks are staged
   * as they arrive while the sha256 is computed, then the block list is committed
   * create-only with the hash in metadata. Nothing is committed if the stream fails,
   * if `signal` aborts, or if what arrived differs from `expected` (length, MD5):
   * a short or altered download is never archived (staged blocks are discarded by Azure).
   */
  async putStream(
    name: string,
    body: ReadableStream<Uint8Array>,
    metadata: BlobMetadata,
    contentType: string,
    tags: IndexTags,
    expected: { length?: number; md5Base64?: string; signal?: AbortSignal } = {},
  ): Promise<WrittenBlob> {
    let sha256 = "";
    let total = 0;
    // A consumed stream cannot be replayed: no in-call retry after a 403 here.
    const outcome = await this.createOnly(name, "streamed upload", false, async (container) => {
      const blob = container.getBlockBlobClient(name);
      const hash = createHash("sha256");
      const md5 = expected.md5Base64 ? createHash("md5") : undefined;
      // A per-attempt prefix: concurrent or earlier attempts never mix blocks.
      const attempt = randomBytes(8).toString("hex");
      const blockIds: string[] = [];
      const inFlight = new Set<Promise<void>>();
      let failure: unknown;
      let pending: Buffer[] = [];
      let pendingBytes = 0;

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
      const onAbort = () => void reader.cancel(expected.signal?.reason).catch(() => undefined);
      expected.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (expected.signal?.aborted) throw new VaultError(`upload of ${name} stopped: ${String(expected.signal.reason?.message ?? expected.signal.reason)}`);
          if (done) break;
          const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
          hash.update(chunk);
          md5?.update(chunk);
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
      } finally {
        expected.signal?.removeEventListener("abort", onAbort);
      }
      if (expected.length !== undefined && expected.length !== total) {
        await Promise.allSettled(inFlight);
        throw new VaultIntegrityError(`download for ${name} delivered ${total} of ${expected.length} bytes; nothing committed`);
      }
      const md5Digest = md5?.digest("base64");
      if (md5Digest !== undefined && md5Digest !== expected.md5Base64) {
        await Promise.allSettled(inFlight);
        throw new VaultIntegrityError(`download for ${name} does not match its Content-MD5; nothing committed`);
      }
      if (pendingBytes > 0) await stage(Buffer.concat(pending));
      await Promise.all(inFlight);
      if (failure) throw failure;
      sha256 = hash.digest("hex");
      await blob.commitBlockList(blockIds, {
        abortSignal: this.timeout(),
        conditions: { ifNoneMatch: "*" },
        metadata: cleanMetadata({ ...metadata, sha256, contentlength: String(total) }),
        tags: this.tagsOf(tags),
        blobHTTPHeaders: { blobContentType: contentType },
      });
    });
    return { outcome, sha256, size: total };
  }

  /**
   * Lists the blobs under `prefix` with their sizes and stored sha256, through the
   * list-only credential (names and metadata, never content).
   */
  async list(prefix: string): Promise<Map<string, ListedBlob>> {
    if (!this.lister) throw new VaultError("the vault lister credential is not configured (AZURE_VAULT_LISTER_SECRET_ARN)");
    const lister = this.lister;
    return this.withCredential(lister, prefix, "list", true, async (container) => {
      const blobs = new Map<string, ListedBlob>();
      for await (const blob of container.listBlobsFlat({ prefix, includeMetadata: true, abortSignal: this.timeout() })) {
        blobs.set(blob.name, { name: blob.name, size: blob.properties.contentLength ?? 0, sha256: blob.metadata?.sha256 });
      }
      return blobs;
    });
  }

  /** The index tags to send (none where the credential cannot set them), with values Azure accepts. */
  private tagsOf(tags: IndexTags): Record<string, string> | undefined {
    if (!(this.options.indexTags ?? this.options.auth === "federated")) return undefined;
    return cleanTags(tags);
  }

  /**
   * Client-side deadline of one operation, SDK retries included. Needed because the
   * SDK's tryTimeoutInMs is only a server-side hint: a silent connection would hang.
   */
  private timeout(): AbortSignal {
    return AbortSignal.timeout(this.options.requestTimeoutMs);
  }

  /** Runs a create-only write; 409 "already exists" is success. */
  private async createOnly(name: string, operation: string, replayable: boolean, write: (container: ContainerClient) => Promise<void>): Promise<WriteOutcome> {
    try {
      await this.withCredential(this.access, name, operation, replayable, write);
      return "created";
    } catch (error) {
      if (isAlreadyExists(error instanceof VaultError ? error.cause : error)) return "already-existed";
      throw error;
    }
  }

  /** Runs `operation`; a 403 re-reads the credential once (and retries if `replayable`); errors become {@link VaultError}s. */
  private async withCredential<T>(access: ContainerAccess, name: string, operation: string, replayable: boolean, run: (container: ContainerClient) => Promise<T>): Promise<T> {
    let refresh = false;
    for (let attempt = 1; ; attempt++) {
      const container = await access.container({ refresh });
      try {
        return await run(container);
      } catch (error) {
        if (error instanceof VaultIntegrityError) throw error;
        if (error instanceof RestError && error.statusCode === 403 && attempt === 1) {
          refresh = true;
          if (replayable) continue;
          // Not replayable: the next operation gets the re-read credential.
          void access.container({ refresh: true }).catch(() => undefined);
        }
        throw this.explain(error, access, container, name, operation, attempt > 1);
      }
    }
  }

  private explain(error: unknown, access: ContainerAccess, container: ContainerClient, name: string, operation: string, reread: boolean): unknown {
    if (error instanceof VaultError) return error;
    const url = new URL(container.url);
    const where = `${url.host}${url.pathname}/${name}`; // never the query string: it is the SAS
    const { requestTimeoutMs, maxTries } = this.options;
    if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) {
      return new VaultError(
        `Azure Blob ${operation} of ${where} timed out after ${requestTimeoutMs} ms (AZURE_REQUEST_TIMEOUT_MS, ${maxTries} tries per AZURE_MAX_TRIES)`,
        undefined,
        { cause: error },
      );
    }
    if (error instanceof RestError) {
      const code = error.code ?? "";
      if (error.statusCode === 409) return new VaultError(`Azure Blob ${operation} of ${where}: 409 ${code}`, 409, { cause: error });
      if (error.statusCode === 403) {
        return new VaultError(
          `Azure Blob ${operation} of ${where} refused: 403 ${code}${reread ? ", again after re-reading" : " by"} ${access.describe()}${reread ? "" : " (re-read for the next attempt)"}; ${access.remedy()}`,
          403,
          { cause: error },
        );
      }
      return new VaultError(`Azure Blob ${operation} of ${where} failed: HTTP ${error.statusCode ?? "no response"} ${code}`.trim(), error.statusCode, { cause: error });
    }
    return error;
  }
}

/** What arrived is not what the transcript announced: nothing was committed. */
export class VaultIntegrityError extends Error {
  override readonly name = "VaultIntegrityError";
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

/** Index tags as Azure accepts them: defined values only, characters outside `[A-Za-z0-9 +-.:=_/]` replaced, at most 256 long. */
export function cleanTags(tags: IndexTags): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value === "string" && value !== "") out[key] = value.replace(/[^A-Za-z0-9 +\-.:=_/]/g, "_").slice(0, 256);
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
