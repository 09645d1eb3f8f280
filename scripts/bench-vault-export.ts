/**
 * Vault export benchmark: `npm run vault -- export` of about 1 GiB of conversations of mixed sizes
 * (many small JSON transcripts and attachments, some multi-MiB attachments) from Azurite (in
 * memory), next to a raw download of the same blobs to files by the same @azure/storage-blob client
 * in the same run (downloadToFile, same concurrency, same folder layout): the ceiling, what a plain
 * download tool does without verifying, journaling or an export manifest. A download that discards
 * the content is printed beside it. The export runs in its own process
 * (test/support/vault-cli-child.ts) so its peak resident memory (maxRSS) is its own; its time is
 * measured inside that process, around the command (find, manifests, downloads, hashing, files,
 * journal, export manifest). Raw and export alternate, three rounds, each round starting with the
 * other one; the export writes to the system's temporary folder (a disk here, as for an operator).
 *
 * Targets: export throughput >= 0.8 x the raw download; export peak memory <= 256 MiB.
 * Run alone: BENCH_ONLY=vault-export npm run bench
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ContainerClient } from "@azure/storage-blob";
import { startAzurite } from "../test/support/azurite";

const ROOT = path.resolve(__dirname, "..", "..");
const DAY = "2026-03-01";
const CONCURRENCY = 4;
const ROUNDS = 3;
const MiB = 1024 * 1024;

/** The mix: [conversations, transcript bytes, attachment sizes]. About 1 GiB in all. */
const MIX: ReadonlyArray<readonly [number, number, readonly number[]]> = [
  [1500, 24 * 1024, [40 * 1024, 40 * 1024]],
  [120, 24 * 1024, [6 * MiB]],
  [10, 24 * 1024, [16 * MiB]],
];

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** Seeds the conversations as the archiver writes them (tags, manifest last); returns every blob name the export reads. */
async function seed(container: ContainerClient): Promise<{ names: string[]; bytes: number }> {
  const pool = randomBytes(16 * MiB);
  const jobs: Array<{ id: string; transcript: number; attachments: readonly number[] }> = [];
  for (const [count, transcript, attachments] of MIX) for (let i = 0; i < count; i++) jobs.push({ id: randomUUID(), transcript, attachments });
  const names: string[] = [];
  let bytes = 0;
  await eachLimited(jobs, 8, async (job) => {
    const tags = (kind: string) => ({ conversationId: job.id, kind, date: DAY, mediaType: "message" });
    const entries: Array<{ name: string; size: number; sha256: string }> = [];
    const put = async (name: string, content: Buffer, kind: string) => {
      await container.getBlockBlobClient(name).uploadData(content, { tags: tags(kind), blockSize: 4 * MiB, concurrency: 2 });
      names.push(name);
      bytes += content.length;
      return { name, size: content.length, sha256: createHash("sha256").update(content).digest("hex") };
    };
    const offset = () => Math.floor(Math.random() * 1024);
    entries.push(await put(`transcripts/${job.id}/transcript.json`, pool.subarray(offset(), offset() + job.transcript), "transcript"));
    for (const [i, size] of job.attachments.entries()) entries.push(await put(`transcripts/${job.id}/attachments/a${i}/file-${i}.bin`, pool.subarray(offset(), offset() + size), "attachment"));
    await put(`transcripts/${job.id}/manifest.json`, Buffer.from(JSON.stringify({ conversationId: job.id, blobs: entries, blobCount: entries.length, writtenAt: new Date().toISOString() }, null, 2)), "manifest");
  });
  return { names, bytes };
}

/**
 * The ceiling: every blob downloaded, CONCURRENCY at a time, either to a file under `toDir` (the
 * SDK's downloadToFile, as a plain download tool does) or drained and discarded.
 */
async function rawDownload(container: ContainerClient, names: readonly string[], toDir?: string): Promise<number> {
  const folders = new Set<string>();
  const started = performance.now();
  await eachLimited(names, CONCURRENCY, async (name) => {
    const blob = container.getBlobClient(name);
    if (toDir) {
      const file = path.join(toDir, ...name.split("/"));
      if (!folders.has(path.dirname(file))) {
        await mkdir(path.dirname(file), { recursive: true });
        folders.add(path.dirname(file));
      }
      await blob.downloadToFile(file, 0, undefined, { maxRetryRequests: 5 });
      return;
    }
    const response = await blob.download(0, undefined, { maxRetryRequests: 5 });
    for await (const _ of response.readableStreamBody as AsyncIterable<Buffer>) {
      // drained
    }
  });
  const ms = performance.now() - started;
  if (toDir) rmSync(toDir, { recursive: true, force: true });
  return ms;
}

/** One export in its own process; returns its time in the command and its peak memory. */
async function exportOnce(blobEndpoint: string): Promise<{ runMs: number; maxRssKb: number; files: number }> {
  const work = mkdtempSync(path.join(tmpdir(), "bench-vault-export-"));
  const rusage = path.join(work, "rusage.json");
  const out = path.join(work, "out");
  try {
    const child = spawn(
      process.execPath,
      ["--disable-warning=DEP0044", path.join(ROOT, "scripts/run-ts.mjs"), path.join(ROOT, "test/support/vault-cli-child.ts"), "export", "--env", "dev", "--from", DAY, "--to", DAY, "--out", out, "--json"],
      { cwd: ROOT, env: { ...process.env, GCV_VAULT_BLOB_ENDPOINT: blobEndpoint, VAULT_CHILD_RUSAGE: rusage }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
    const code: number = await new Promise((resolve) => child.on("close", resolve));
    if (code !== 0) throw new Error(`export failed (exit ${code}):\n${stderr}`);
    const { runMs, maxRssKb } = JSON.parse(readFileSync(rusage, "utf8")) as { runMs: number; maxRssKb: number };
    return { runMs, maxRssKb, files: (JSON.parse(stdout) as { files: number }).files };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function benchVaultExport(): Promise<Record<string, string>> {
  const azurite = await startAzurite({ inMemory: true, compactHeap: false });
  try {
    const container = azurite.serviceClient().getContainerClient("vault");
    await container.create();
    const { names, bytes } = await seed(container);
    const raw: number[] = [];
    const drained: number[] = [];
    const exported: Array<{ runMs: number; maxRssKb: number; files: number }> = [];
    const rawToFiles = () => rawDownload(container, names, mkdtempSync(path.join(tmpdir(), "bench-vault-raw-")));
    // Both write about 1 GiB of files: each measurement starts with the previous one's dirty pages
    // written back (sync), or the kernel's writeback of one run would be charged to the next.
    const settled = <T>(measure: () => Promise<T>) => {
      execFileSync("sync");
      return measure();
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so that a position effect (caches, background load) hits both alike.
      if (round % 2 === 0) raw.push(await settled(rawToFiles));
      exported.push(await settled(() => exportOnce(azurite.blobEndpoint)));
      if (round % 2 === 1) raw.push(await settled(rawToFiles));
      drained.push(await settled(() => rawDownload(container, names)));
    }
    if (exported.some((e) => e.files !== names.length)) throw new Error(`the export wrote ${exported.map((e) => e.files).join("/")} files, expected ${names.length}`);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const rawMs = sum(raw);
    const exportMs = sum(exported.map((e) => e.runMs));
    const rate = (ms: number) => ((bytes / MiB) * 1000 * exported.length) / ms;
    const ratios = raw.map((r, i) => r / exported[i]!.runMs).sort((a, b) => a - b);
    return {
      "vault export: data set": `${names.length} blobs of ${MIX.reduce((n, [c]) => n + c, 0)} conversations, ${(bytes / MiB).toFixed(0)} MiB`,
      "vault export: raw download to files, the ceiling (MiB/s)": rate(rawMs).toFixed(0),
      "vault export: raw download, content discarded (MiB/s)": rate(sum(drained)).toFixed(0),
      "vault export: export, verified to files (MiB/s)": rate(exportMs).toFixed(0),
      "vault export: throughput ratio (export / raw), all rounds": (rawMs / exportMs).toFixed(2),
      "vault export: ratio per round, median (lowest-highest)": `${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)} (${ratios[0]!.toFixed(2)}-${ratios.at(-1)!.toFixed(2)})`,
      "vault export: rounds (raw to files / export ms)": raw.map((r, i) => `${r.toFixed(0)} / ${exported[i]!.runMs.toFixed(0)}`).join(", "),
      "vault export: peak RSS of the export process (MiB)": (Math.max(...exported.map((e) => e.maxRssKb)) / 1024).toFixed(0),
      "vault export: target": "ratio >= 0.8, peak RSS <= 256 MiB",
    };
  } finally {
    await azurite.stop();
  }
}
