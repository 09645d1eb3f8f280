/**
 * The vault's layout as the transcript archiver writes it (functions/transcript-archiver):
 * `transcripts/<conversationId>/` holds transcript.json, attachments/... and, written last,
 * manifest.json (name, size and SHA-256 of every other blob); `events/yyyy/mm/dd/<id>/` holds
 * the raw events; `quarantine/` malformed records. Every blob carries index tags (federated
 * mode): conversationId, kind, date (UTC day), mediaType, queueId.
 */
import { createHash } from "node:crypto";
import { RestError, type ContainerClient } from "@azure/storage-blob";
import { blobFailure, VaultCliError } from "./context";

export interface ManifestEntry {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

export interface Manifest {
  readonly conversationId: string;
  readonly blobs: readonly ManifestEntry[];
  readonly writtenAt?: string;
}

/** A stored blob, as listed (never its content). */
export interface StoredBlob {
  readonly size: number;
  readonly createdOn?: Date;
}

export const conversationPrefix = (id: string) => `transcripts/${id}/`;
export const manifestBlobName = (id: string) => `transcripts/${id}/manifest.json`;

/** A manifest is a few KiB per thousand blobs; anything this large is not one the archiver wrote. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** Names, sizes and creation times under `transcripts/<id>/` (list only). */
export async function listConversation(container: ContainerClient, id: string): Promise<Map<string, StoredBlob>> {
  const blobs = new Map<string, StoredBlob>();
  try {
    for await (const blob of container.listBlobsFlat({ prefix: conversationPrefix(id) })) {
      blobs.set(blob.name, { size: blob.properties.contentLength ?? 0, createdOn: blob.properties.createdOn });
    }
  } catch (error) {
    throw blobFailure(error, `listing ${conversationPrefix(id)}`, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read");
  }
  return blobs;
}

/** The conversation's manifest as stored (bytes, for export) and parsed; undefined when there is none. */
export async function readManifest(container: ContainerClient, id: string): Promise<{ manifest: Manifest; bytes: Buffer } | undefined> {
  const name = manifestBlobName(id);
  const chunks: Buffer[] = [];
  try {
    const response = await container.getBlobClient(name).download(0, undefined, { maxRetryRequests: 5 });
    const body = response.readableStreamBody as NodeJS.ReadableStream & AsyncIterable<Buffer>;
    if ((response.contentLength ?? 0) > MAX_MANIFEST_BYTES) {
      (body as unknown as { destroy?: () => void }).destroy?.();
      throw new VaultCliError(`${name} is ${response.contentLength} bytes: not a manifest the archiver writes`, 1);
    }
    for await (const chunk of body) chunks.push(chunk);
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 404) return undefined;
    throw blobFailure(error, `reading ${name}`, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read");
  }
  const bytes = Buffer.concat(chunks);
  return { manifest: parseManifest(bytes, id), bytes };
}

/**
 * Checks a manifest's shape: every entry a blob of this conversation (under its prefix, no `..`
 * segment), with a size and a SHA-256. Anything else is reported, never followed to another path.
 */
export function parseManifest(bytes: Buffer, id: string): Manifest {
  const name = manifestBlobName(id);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new VaultCliError(`${name} is not valid JSON: the record cannot be verified`, 1);
  }
  const m = parsed as { conversationId?: unknown; blobs?: unknown; writtenAt?: unknown };
  if (!m || typeof m !== "object" || !Array.isArray(m.blobs)) throw new VaultCliError(`${name} has no "blobs" list: the record cannot be verified`, 1);
  const blobs = m.blobs.map((entry: { name?: unknown; size?: unknown; sha256?: unknown }, i: number) => {
    const ok =
      typeof entry?.name === "string" &&
      entry.name.startsWith(conversationPrefix(id)) &&
      entry.name !== name &&
      !entry.name.split("/").some((segment) => segment === ".." || segment === "." || segment === "") &&
      Number.isSafeInteger(entry.size) &&
      (entry.size as number) >= 0 &&
      typeof entry.sha256 === "string" &&
      /^[0-9a-f]{64}$/.test(entry.sha256);
    if (!ok) throw new VaultCliError(`${name}: entry ${i} is not a blob of this conversation with a size and a SHA-256: the record cannot be verified`, 1);
    return { name: entry.name as string, size: entry.size as number, sha256: entry.sha256 as string };
  });
  return { conversationId: typeof m.conversationId === "string" ? m.conversationId : id, blobs, writtenAt: typeof m.writtenAt === "string" ? m.writtenAt : undefined };
}

/** SHA-256 and size of a blob's content, streamed (the content is never kept or shown). */
export async function hashBlob(container: ContainerClient, name: string): Promise<{ sha256: string; size: number }> {
  try {
    const response = await container.getBlobClient(name).download(0, undefined, { maxRetryRequests: 5 });
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of response.readableStreamBody as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { sha256: hash.digest("hex"), size };
  } catch (error) {
    throw blobFailure(error, `reading ${name}`, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read");
  }
}

/** What a blob name says about its conversation and kind. */
export function classify(name: string): { conversationId?: string; kind: string } {
  const parts = name.split("/");
  if (parts[0] === "transcripts" && parts.length >= 3) {
    const kind = parts[2] === "manifest.json" ? "manifest" : parts[2] === "attachments" ? "attachment" : "transcript";
    return { conversationId: parts[1], kind };
  }
  if (parts[0] === "events" && parts.length === 6) return { conversationId: parts[4], kind: "event" };
  return { kind: parts[0] === "quarantine" ? "quarantine" : "other" };
}

export interface TagQuery {
  readonly from: string;
  readonly to: string;
  /** Validated UUIDs (see requireUuid): nothing else reaches the expression. */
  readonly queueId?: string;
  readonly conversationId?: string;
}

/**
 * The Find Blobs by Tags expression: keys in double quotes, values in single quotes, one
 * two-sided range on "date" (Azure refuses two bounds on the same side) and equality filters.
 */
export function tagExpression(query: TagQuery): string {
  const clauses = [`"date" >= '${query.from}'`, `"date" <= '${query.to}'`];
  if (query.queueId) clauses.push(`"queueId" = '${query.queueId}'`);
  if (query.conversationId) clauses.push(`"conversationId" = '${query.conversationId}'`);
  return clauses.join(" AND ");
}

export interface FoundConversation {
  readonly conversationId: string;
  readonly blobs: number;
  readonly kinds: readonly string[];
  readonly manifest: boolean;
}

/**
 * Conversations with blobs tagged in the query's range, from Find Blobs by Tags in Container
 * (data action blobs/filter/action). Only the expression's tags come back, so the conversation
 * and kind are read from each blob's name, which the archiver fixes. Quarantined records have no
 * conversation and are counted apart.
 */
export async function findConversations(container: ContainerClient, query: TagQuery): Promise<{ conversations: FoundConversation[]; quarantined: number; expression: string }> {
  const expression = tagExpression(query);
  const byId = new Map<string, { blobs: number; kinds: Set<string>; manifest: boolean }>();
  let quarantined = 0;
  try {
    for await (const blob of container.findBlobsByTags(expression)) {
      const { conversationId, kind } = classify(blob.name);
      if (!conversationId) {
        if (kind === "quarantine") quarantined++;
        continue;
      }
      const entry = byId.get(conversationId) ?? { blobs: 0, kinds: new Set<string>(), manifest: false };
      entry.blobs++;
      entry.kinds.add(kind);
      if (kind === "manifest") entry.manifest = true;
      byId.set(conversationId, entry);
    }
  } catch (error) {
    throw blobFailure(error, "finding blobs by tags", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/filter/action");
  }
  const conversations = [...byId.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([conversationId, e]) => ({ conversationId, blobs: e.blobs, kinds: [...e.kinds].sort(), manifest: e.manifest }));
  return { conversations, quarantined, expression };
}

/** Refuses tag search where the archiver writes no tags (SAS mode; docs/compliance.md#sas-mode). */
export function requireIndexTags(writerAuth: string, environment: string): void {
  if (writerAuth === "sas") {
    throw new VaultCliError(
      `environment ${environment} writes the vault with a SAS (azure.writerAuth "sas"), which cannot set blob index tags: there is nothing to search by day or queue. Pass the conversation ids to verify or export instead (docs/compliance.md#sas-mode).`,
      2,
    );
  }
}
