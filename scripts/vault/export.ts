/**
 * `vault export`: copies conversations out of the vault, each file proven on the way.
 *
 * Every blob the conversation's manifest lists is streamed to `<out>/<id>/<name>.part` through a
 * SHA-256; only when hash and size match the manifest is it renamed to its name and appended to
 * `<out>/export-journal.jsonl`. A run after an interruption reads the journal and skips every file
 * recorded there with the manifest's size and hash (and present with that size), so nothing is
 * downloaded twice; the manifest itself is read back from the export when it was completed.
 * `<out>/export-manifest.json` (written last) lists every file with its size, SHA-256, source blob
 * and time, the query and the tool version. Memory stays bounded: streams with backpressure and at
 * most {@link CONCURRENCY} downloads at a time, whatever the blob sizes.
 */
import { createHash } from "node:crypto";
import { constants, createWriteStream } from "node:fs";
import { access, type FileHandle, mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { RestError } from "@azure/storage-blob";
import { version } from "../../package.json";
import { blobFailure, dayRange, eachLimited, requireSignIn, requireUuid, STORAGE_SCOPE, VaultCliError, type VaultContext } from "./context";
import { conversationPrefix, findConversations, manifestBlobName, parseManifest, readManifest, requireIndexTags, tagExpression, type Manifest } from "./records";
import { conversationIds, listKnown } from "./verify";

export const JOURNAL_FILE = "export-journal.jsonl";
export const EXPORT_MANIFEST_FILE = "export-manifest.json";
/** Downloads at a time (each a stream). */
const CONCURRENCY = 4;
const PROGRESS_INTERVAL_MS = 500;
/** Files up to this size are downloaded into one buffer (at most CONCURRENCY of them in memory at once). */
const SMALL_FILE_BYTES = 1024 * 1024;

/** One exported, verified file (a journal line, and an entry of the export manifest). */
export interface ExportedFile {
  /** Path inside the export folder, `/`-separated: `<conversationId>/<name in the conversation>`. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  /** The vault blob it was copied from. */
  readonly sourceBlob: string;
  readonly exportedAt: string;
}

interface Task {
  readonly conversationId: string;
  readonly path: string;
  readonly sourceBlob: string;
  readonly size: number;
  readonly sha256: string;
  /** The manifest's bytes (already read): written without another download. */
  readonly bytes?: Buffer;
}

export async function exportRecords(ctx: VaultContext): Promise<number> {
  const { args, io, names } = ctx;
  if (!args.out) throw new VaultCliError("export needs --out <dir>: the folder to export to", 2);
  const byIds = args.conversations.length > 0;
  if (byIds && (args.from || args.to || args.queue)) throw new VaultCliError("export takes either conversation ids or --from/--to [--queue], not both", 2);
  const ids = byIds ? conversationIds(args.conversations) : [];
  const range = byIds ? undefined : dayRange(args);
  const queueId = args.queue === undefined ? undefined : requireUuid(args.queue, "--queue");
  if (!byIds) requireIndexTags(names.writerAuth, names.environment);
  const out = path.resolve(args.out);
  await requireWritable(out);
  await requireSignIn(ctx.credential, STORAGE_SCOPE);
  const startedAt = ctx.now().toISOString();

  // Which conversations: the ids given (each must exist), or those the index finds with a manifest.
  const skipped: Array<{ conversationId: string; reason: string }> = [];
  let conversations: string[];
  if (range) {
    const found = await findConversations(ctx.container, { ...range, queueId });
    conversations = found.conversations.filter((c) => c.manifest).map((c) => c.conversationId);
    for (const c of found.conversations.filter((f) => !f.manifest)) skipped.push({ conversationId: c.conversationId, reason: "no manifest.json: the archive of this conversation is incomplete" });
  } else {
    await listKnown(ctx, ids);
    conversations = ids;
  }

  await mkdir(out, { recursive: true });
  const run = new ExportRun(ctx, out, await readJournal(out));
  let plan: Awaited<ReturnType<ExportRun["plan"]>>;
  let progress: Awaited<ReturnType<ExportRun["download"]>>;
  try {
    plan = await run.plan(conversations);
    progress = await run.download(plan.tasks);
  } finally {
    await run.close();
  }
  const { tasks, manifests } = plan;
  const { downloaded, already } = progress;
  const { journal, failures } = run;
  skipped.push(...plan.skipped);

  const files = tasks.flatMap((t) => {
    const file = journal.get(t.path);
    return file && file.sha256 === t.sha256 ? [file] : [];
  });
  const exportManifest = {
    tool: { name: "npm run vault -- export", package: "genesys-vault-pipelines", version },
    environment: names.environment,
    source: { storageAccount: names.storageAccountName, container: names.containerName, blobEndpoint: names.blobEndpoint },
    query: range ? { from: range.from, to: range.to, queueId, expression: tagExpression({ ...range, queueId }) } : { conversations: ids },
    startedAt,
    completedAt: ctx.now().toISOString(),
    conversations: conversations.filter((id) => manifests.has(id)).map((id) => ({ conversationId: id, manifestSha256: manifests.get(id) })),
    skipped,
    failures,
    files,
  };
  const manifestPath = path.join(out, EXPORT_MANIFEST_FILE);
  await writeFile(`${manifestPath}.part`, `${JSON.stringify(exportManifest, null, 2)}\n`);
  await rename(`${manifestPath}.part`, manifestPath);

  const ok = failures.length === 0 && skipped.length === 0;
  if (args.json) {
    io.out(JSON.stringify({ ok, out, exportManifest: manifestPath, files: files.length, downloaded, alreadyExported: already, skipped, failures }, null, 2));
  } else {
    io.out(`Exported ${files.length} verified file(s) of ${manifests.size} conversation(s) to ${out} (${downloaded} downloaded now besides the manifests, ${already} from an earlier run).`);
    io.out(`Export manifest: ${manifestPath}`);
    for (const s of skipped) io.out(`  SKIPPED  ${s.conversationId}: ${s.reason}`);
    for (const f of failures) io.out(`  FAILED   ${f.path}: ${f.reason}`);
    if (!ok) io.out("Export INCOMPLETE: see the lines above; files that failed verification were not kept.");
  }
  return ok ? 0 : 1;
}

/** One export: the journal (completed files) and what failed; writes each verified file and its journal line. */
class ExportRun {
  readonly failures: Array<{ path: string; sourceBlob: string; reason: string }> = [];
  /** Paths completed before this run started. */
  private readonly earlier: Set<string>;
  private readonly folders = new Set<string>();
  private journalFile?: Promise<FileHandle>;

  constructor(
    private readonly ctx: VaultContext,
    private readonly out: string,
    readonly journal: Map<string, ExportedFile>,
  ) {
    this.earlier = new Set(journal.keys());
  }

  /**
   * Reads each conversation's manifest once and exports it at once (an interrupted run reads it
   * back from the export); returns every file to have, manifests first.
   */
  async plan(conversations: readonly string[]): Promise<{ tasks: Task[]; manifests: Map<string, string>; skipped: Array<{ conversationId: string; reason: string }> }> {
    const reads = new Map<string, Awaited<ReturnType<typeof manifestOf>>>();
    await eachLimited(conversations, CONCURRENCY, async (id) => {
      const read = await manifestOf(this.ctx, this.out, id, this.journal);
      reads.set(id, read);
      if (read && !read.fromExport) await this.record(manifestTask(id, read.bytes));
    });
    const tasks: Task[] = [];
    const manifests = new Map<string, string>();
    const skipped: Array<{ conversationId: string; reason: string }> = [];
    for (const id of conversations) {
      const read = reads.get(id);
      if (!read) {
        skipped.push({ conversationId: id, reason: "no manifest.json: the archive of this conversation is incomplete" });
        continue;
      }
      const task = manifestTask(id, read.bytes);
      manifests.set(id, task.sha256);
      tasks.push(task);
      for (const entry of read.manifest.blobs) {
        tasks.push({ conversationId: id, path: `${id}/${entry.name.slice(conversationPrefix(id).length)}`, sourceBlob: entry.name, size: entry.size, sha256: entry.sha256 });
      }
    }
    return { tasks, manifests, skipped };
  }

  /** Downloads every task not completed yet, CONCURRENCY at a time, with progress on stderr. */
  async download(tasks: readonly Task[]): Promise<{ downloaded: number; already: number }> {
    const todo: Task[] = [];
    for (const task of tasks) if (!(await completed(this.out, task, this.journal))) todo.push(task);
    const pending = new Set(todo);
    const already = tasks.filter((t) => this.earlier.has(t.path) && !pending.has(t)).length;
    const totalBytes = todo.reduce((sum, t) => sum + t.size, 0);
    const io = this.ctx.io;
    io.err(`exporting to ${this.out}: ${todo.length} file(s) (${mib(totalBytes)}) to download, ${already} already exported`);
    let done = 0;
    let downloaded = 0;
    let bytesDone = 0;
    let shown = 0;
    await eachLimited(todo, CONCURRENCY, async (task) => {
      const ok = await this.record(task);
      done++;
      if (ok) {
        downloaded++;
        bytesDone += task.size;
        // A line per file would be thousands of lines for small JSON: at most two a second, and the last.
        if (performance.now() - shown >= PROGRESS_INTERVAL_MS || done === todo.length) {
          shown = performance.now();
          io.err(`[${done}/${todo.length}] ${task.path} ${mib(task.size)} verified (${mib(bytesDone)} of ${mib(totalBytes)})`);
        }
      } else {
        io.err(`[${done}/${todo.length}] ${task.path} NOT EXPORTED: ${this.failures.at(-1)?.reason}`);
      }
    });
    return { downloaded, already };
  }

  /** Copies one file with its hash checked; on success appends its journal line. */
  private async record(task: Task): Promise<boolean> {
    const result = await copyVerified(this.ctx, this.out, task, this.folders);
    if (!result.ok) {
      this.failures.push({ path: task.path, sourceBlob: task.sourceBlob, reason: result.reason });
      return false;
    }
    const line: ExportedFile = { path: task.path, size: task.size, sha256: task.sha256, sourceBlob: task.sourceBlob, exportedAt: this.ctx.now().toISOString() };
    // One handle for the whole run: each line is one append (O_APPEND), no open and close per file.
    this.journalFile ??= open(path.join(this.out, JOURNAL_FILE), "a");
    await (await this.journalFile).write(`${JSON.stringify(line)}\n`);
    this.journal.set(line.path, line);
    return true;
  }

  async close(): Promise<void> {
    await (await this.journalFile)?.close();
  }
}

const manifestTask = (id: string, bytes: Buffer): Task => ({ conversationId: id, path: `${id}/manifest.json`, sourceBlob: manifestBlobName(id), size: bytes.length, sha256: sha256(bytes), bytes });

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The folder (or, if it does not exist yet, its nearest existing parent) must be a writable folder. */
async function requireWritable(out: string): Promise<void> {
  let dir = out;
  for (;;) {
    try {
      const s = await stat(dir);
      if (!s.isDirectory()) throw new VaultCliError(`--out ${out}: ${dir} is not a folder. Nothing was read or written.`, 2);
      await access(dir, constants.W_OK | constants.X_OK);
      return;
    } catch (error) {
      if (error instanceof VaultCliError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if ((code === "ENOENT" || code === "ENOTDIR") && path.dirname(dir) !== dir) {
        dir = path.dirname(dir);
        continue;
      }
      throw new VaultCliError(`--out ${out}: cannot write to ${dir} (${code ?? (error as Error).message}). Nothing was read or written.`, 2);
    }
  }
}

/** Completed files of earlier runs; a line torn by a kill is ignored (that file is downloaded again). */
async function readJournal(out: string): Promise<Map<string, ExportedFile>> {
  const journal = new Map<string, ExportedFile>();
  let text: string;
  try {
    text = await readFile(path.join(out, JOURNAL_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return journal;
    throw new VaultCliError(`cannot read ${path.join(out, JOURNAL_FILE)}: ${(error as Error).message}`, 1);
  }
  for (const line of text.split("\n")) {
    try {
      const entry = JSON.parse(line) as ExportedFile;
      if (typeof entry.path === "string" && typeof entry.sha256 === "string" && typeof entry.size === "number") journal.set(entry.path, entry);
    } catch {
      // empty or torn line
    }
  }
  return journal;
}

/** True when the journal records this file with the expected hash and size, and it is there with that size. */
async function completed(out: string, task: Task, journal: Map<string, ExportedFile>): Promise<boolean> {
  const entry = journal.get(task.path);
  if (!entry || entry.sha256 !== task.sha256 || entry.size !== task.size) return false;
  try {
    return (await stat(localPath(out, task.path))).size === task.size;
  } catch {
    return false;
  }
}

/** The conversation's manifest: the exported copy when an earlier run completed it (no second download), else the vault's. */
async function manifestOf(ctx: VaultContext, out: string, id: string, journal: Map<string, ExportedFile>): Promise<{ manifest: Manifest; bytes: Buffer; fromExport: boolean } | undefined> {
  const entry = journal.get(`${id}/manifest.json`);
  if (entry) {
    const bytes = await readFile(localPath(out, entry.path)).catch(() => undefined);
    if (bytes && bytes.length === entry.size && sha256(bytes) === entry.sha256) return { manifest: parseManifest(bytes, id), bytes, fromExport: true };
  }
  const read = await readManifest(ctx.container, id);
  return read && { ...read, fromExport: false };
}

function localPath(out: string, file: string): string {
  return path.join(out, ...file.split("/"));
}

/** Streams one blob to `<file>.part` through a SHA-256; renames it only when hash and size match. */
async function copyVerified(ctx: VaultContext, out: string, task: Task, folders: Set<string>): Promise<{ ok: true } | { ok: false; reason: string }> {
  const target = localPath(out, task.path);
  const part = `${target}.part`;
  const folder = path.dirname(target);
  if (!folders.has(folder)) {
    await mkdir(folder, { recursive: true });
    folders.add(folder);
  }
  const hash = createHash("sha256");
  let size = 0;
  try {
    if (task.bytes) {
      await writeFile(part, task.bytes);
      hash.update(task.bytes);
      size = task.bytes.length;
    } else if (task.size <= SMALL_FILE_BYTES) {
      // Most blobs are small JSON: one buffer and one write cost less than a stream pipeline.
      // The stream is cut off past the expected size, so a blob grown since the manifest cannot inflate memory.
      const response = await ctx.container.getBlobClient(task.sourceBlob).download(0, undefined, { maxRetryRequests: 5 });
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > SMALL_FILE_BYTES) break;
        hash.update(chunk);
        chunks.push(chunk);
      }
      if (size <= SMALL_FILE_BYTES) await writeFile(part, Buffer.concat(chunks, size));
    } else {
      const response = await ctx.container.getBlobClient(task.sourceBlob).download(0, undefined, { maxRetryRequests: 5 });
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(response.readableStreamBody!, tap, createWriteStream(part));
    }
  } catch (error) {
    await rm(part, { force: true });
    if (error instanceof RestError && error.statusCode === 404) return { ok: false, reason: "listed in the manifest but missing from the vault" };
    const failure = blobFailure(error, `downloading ${task.sourceBlob}`, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read");
    if (failure.exitCode === 3) throw failure;
    if ((error as NodeJS.ErrnoException).syscall) throw new VaultCliError(`writing ${part} failed: ${(error as Error).message}`, 1);
    return { ok: false, reason: failure.message };
  }
  const actual = hash.digest("hex");
  if (actual !== task.sha256 || size !== task.size) {
    await rm(part, { force: true });
    return { ok: false, reason: `hash mismatch: the manifest says ${task.size} B sha256 ${task.sha256}, the vault sent ${size} B sha256 ${actual}` };
  }
  await rename(part, target);
  return { ok: true };
}
