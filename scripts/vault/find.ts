/** `vault find`: conversations archived on a range of UTC days, from the blob index tags. */
import { dayRange, requireSignIn, requireUuid, STORAGE_SCOPE, type VaultContext } from "./context";
import { findConversations, requireIndexTags } from "./records";

/** Azure: "It might take some time before the blob index updates" (storage-manage-find-blobs). */
export const INDEX_LAG_NOTE = "Azure updates the blob index shortly after each write: blobs written in the last few minutes may not be listed yet.";

export async function find(ctx: VaultContext): Promise<number> {
  const { args, io, names } = ctx;
  const { from, to } = dayRange(args);
  const queueId = args.queue === undefined ? undefined : requireUuid(args.queue, "--queue");
  const conversationId = args.conversations[0] === undefined ? undefined : requireUuid(args.conversations[0], "--conversation");
  requireIndexTags(names.writerAuth, names.environment);
  await requireSignIn(ctx.credential, STORAGE_SCOPE);

  const { conversations, quarantined, expression } = await findConversations(ctx.container, { from, to, queueId, conversationId });
  if (args.json) {
    io.out(JSON.stringify({ environment: names.environment, container: names.containerName, query: { from, to, queueId, conversationId, expression }, conversations, quarantined, note: INDEX_LAG_NOTE }, null, 2));
    return 0;
  }
  const scope = [queueId && `queue ${queueId}`, conversationId && `conversation ${conversationId}`].filter(Boolean).join(", ");
  io.out(`Conversations with blobs tagged ${from} .. ${to}${scope ? ` (${scope})` : ""} in ${names.storageAccountName}/${names.containerName}:`);
  for (const c of conversations) io.out(`  ${c.conversationId}  blobs ${String(c.blobs).padStart(4)}  manifest ${c.manifest ? "yes" : "no "}  kinds ${c.kinds.join(",")}`);
  const incomplete = conversations.filter((c) => !c.manifest).length;
  io.out(`${conversations.length} conversation(s)${incomplete ? `; ${incomplete} without a manifest (transcript not archived yet, or failed: docs/operations.md)` : ""}${quarantined ? `; ${quarantined} quarantined record(s) in the range` : ""}.`);
  io.out(`Note: ${INDEX_LAG_NOTE}`);
  return 0;
}
