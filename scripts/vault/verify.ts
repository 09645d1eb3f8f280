/**
 * `vault verify`: proves conversations untampered. Each blob the manifest lists is streamed and
 * its SHA-256 and size recomputed; blobs missing from the vault, or present but not listed, are
 * reported; the container's immutability policy and legal hold are read from the management plane.
 */
import { eachLimited, requireSignIn, requireUuid, STORAGE_SCOPE, VaultCliError, type VaultContext } from "./context";
import { managementFailure, ManagementPlane, READ_ACTION, type ContainerProtection } from "./management";
import { hashBlob, listConversation, manifestBlobName, readManifest, type StoredBlob } from "./records";

export interface BlobCheck {
  readonly name: string;
  readonly status: "ok" | "mismatch" | "missing" | "extra";
  /** What the manifest says (not for extra blobs). */
  readonly expected?: { readonly size: number; readonly sha256: string };
  /** What the vault holds now (not for missing blobs). */
  readonly actual?: { readonly size: number; readonly sha256?: string };
  readonly createdOn?: string;
  /** Creation time + the container's retention days: until then Azure refuses to delete or change the blob. */
  readonly retainedUntil?: string;
}

export interface ConversationCheck {
  readonly conversationId: string;
  readonly ok: boolean;
  readonly manifest: { readonly present: boolean; readonly writtenAt?: string; readonly retainedUntil?: string };
  readonly blobs: readonly BlobCheck[];
}

/** Downloads hashed at once: each is a stream, so memory stays small whatever the blob sizes. */
const CONCURRENCY = 4;

/** The validated, de-duplicated conversation ids of verify/export. */
export function conversationIds(ids: readonly string[]): string[] {
  return [...new Set(ids.map((id) => requireUuid(id, "conversation id")))];
}

/** Lists every conversation first: an unknown id is bad input (exit 2) before anything is downloaded. */
export async function listKnown(ctx: VaultContext, ids: readonly string[]): Promise<Map<string, Map<string, StoredBlob>>> {
  const listed = new Map<string, Map<string, StoredBlob>>();
  for (const id of ids) listed.set(id, await listConversation(ctx.container, id));
  const unknown = ids.filter((id) => listed.get(id)!.size === 0);
  if (unknown.length) {
    throw new VaultCliError(
      `unknown conversation(s) in ${ctx.names.environment}'s vault: ${unknown.join(", ")} (nothing under transcripts/<id>/: not archived yet, or another environment). Nothing was verified or exported.`,
      2,
    );
  }
  return listed;
}

/** The container's protection, or why it cannot be shown (the hashes are verified regardless). */
export async function readProtection(ctx: VaultContext): Promise<{ protection?: ContainerProtection; unavailable?: string }> {
  try {
    return { protection: await new ManagementPlane(ctx.names, ctx.credential).protection() };
  } catch (error) {
    const failure = managementFailure(error, "reading the container's immutability policy and legal hold", READ_ACTION);
    const reason = failure.exitCode === 3 ? `your sign-in cannot read the management plane (needs ${READ_ACTION})` : failure.message;
    return { unavailable: reason };
  }
}

const retainedUntil = (createdOn: Date | undefined, protection: ContainerProtection | undefined) =>
  createdOn && protection?.immutability ? new Date(createdOn.getTime() + protection.immutability.days * 86_400_000).toISOString() : undefined;

export async function checkConversation(ctx: VaultContext, id: string, stored: Map<string, StoredBlob>, protection: ContainerProtection | undefined): Promise<ConversationCheck> {
  const manifestName = manifestBlobName(id);
  const read = await readManifest(ctx.container, id);
  const manifestInfo = { present: Boolean(read), writtenAt: read?.manifest.writtenAt, retainedUntil: retainedUntil(stored.get(manifestName)?.createdOn, protection) };
  const listed = new Set(read?.manifest.blobs.map((b) => b.name));
  const checks: BlobCheck[] = [];
  await eachLimited(read?.manifest.blobs ?? [], CONCURRENCY, async (entry) => {
    const blob = stored.get(entry.name);
    const expected = { size: entry.size, sha256: entry.sha256 };
    if (!blob) {
      checks.push({ name: entry.name, status: "missing", expected });
      return;
    }
    const actual = await hashBlob(ctx.container, entry.name);
    const status = actual.sha256 === entry.sha256 && actual.size === entry.size ? "ok" : "mismatch";
    checks.push({ name: entry.name, status, expected, actual, createdOn: blob.createdOn?.toISOString(), retainedUntil: retainedUntil(blob.createdOn, protection) });
  });
  for (const [name, blob] of stored) {
    if (name === manifestName || listed.has(name)) continue;
    checks.push({ name, status: "extra", actual: { size: blob.size }, createdOn: blob.createdOn?.toISOString(), retainedUntil: retainedUntil(blob.createdOn, protection) });
  }
  checks.sort((a, b) => a.name.localeCompare(b.name));
  return { conversationId: id, ok: Boolean(read) && checks.every((c) => c.status === "ok"), manifest: manifestInfo, blobs: checks };
}

export function describeProtection(p: { protection?: ContainerProtection; unavailable?: string }): string {
  if (!p.protection) return `Immutability: not shown: ${p.unavailable}. The hashes below are verified regardless.`;
  const policy = p.protection.immutability ? `${p.protection.immutability.days} days from each blob's creation, ${p.protection.immutability.state}` : "none";
  const hold = p.protection.legalHold.active ? `yes (tags: ${p.protection.legalHold.tags.join(", ")})` : "none";
  return `Immutability policy: ${policy}. Legal hold: ${hold}.`;
}

export async function verify(ctx: VaultContext): Promise<number> {
  const { args, io, names } = ctx;
  const ids = conversationIds(args.conversations);
  if (!ids.length) throw new VaultCliError("verify needs at least one conversation id", 2);
  await requireSignIn(ctx.credential, STORAGE_SCOPE);
  const listed = await listKnown(ctx, ids);
  const protection = await readProtection(ctx);

  const results: ConversationCheck[] = [];
  for (const id of ids) {
    if (!args.json) io.err(`verifying ${id} (${listed.get(id)!.size} blobs)...`);
    results.push(await checkConversation(ctx, id, listed.get(id)!, protection.protection));
  }
  const ok = results.every((r) => r.ok);
  if (args.json) {
    io.out(JSON.stringify({ environment: names.environment, container: names.containerName, ok, immutability: protection.protection ?? { unavailable: protection.unavailable }, conversations: results }, null, 2));
    return ok ? 0 : 1;
  }
  io.out(describeProtection(protection));
  for (const r of results) {
    const bad = r.blobs.filter((b) => b.status !== "ok").length;
    const verdict = !r.manifest.present ? "NOT VERIFIED: no manifest.json (the archive of this conversation is incomplete)" : r.ok ? `OK: ${r.blobs.length} blob(s) match the manifest` : `FAILED: ${bad} problem(s)`;
    io.out(`Conversation ${r.conversationId}: ${verdict}${r.manifest.writtenAt ? ` (manifest written ${r.manifest.writtenAt})` : ""}`);
    for (const b of r.blobs) {
      const detail =
        b.status === "mismatch"
          ? `manifest ${b.expected!.size} B sha256 ${b.expected!.sha256}, vault ${b.actual!.size} B sha256 ${b.actual!.sha256}`
          : b.status === "missing"
            ? `in the manifest (${b.expected!.size} B), not in the vault`
            : b.status === "extra"
              ? `in the vault (${b.actual!.size} B), not in the manifest`
              : `${b.actual!.size} B sha256 ${b.actual!.sha256}`;
      io.out(`  ${b.status.toUpperCase().padEnd(8)} ${b.name}  ${detail}${b.retainedUntil ? `  retained until ${b.retainedUntil}` : ""}`);
    }
  }
  io.out(ok ? `All ${results.length} conversation(s) verified.` : "Verification FAILED: see the lines above.");
  return ok ? 0 : 1;
}
