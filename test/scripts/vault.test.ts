/**
 * `npm run vault` against Azurite (blobs seeded as the archiver writes them, with index tags) and the
 * management-plane stand-in. Requests to Azurite go through a proxy that logs them, so a test can
 * tell which blobs were downloaded (and how often) and that bad input reached nothing.
 */
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { CredentialUnavailableError } from "@azure/identity";
import { runVault, type RunOptions } from "../../scripts/vault/cli";
import { ARM_CLEAR_LEGAL_HOLD, ARM_CONTAINER_READ, ARM_SET_LEGAL_HOLD, startArmStorageFake, type ArmStorageFake } from "../support/arm-storage-fake";
import { AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, startAzurite, type Azurite } from "../support/azurite";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy";

const ROOT = path.resolve(__dirname, "..", "..");
const SUBSCRIPTION = "00000000-0000-0000-0000-00000000aaaa";
const QUEUE_1 = "11111111-1111-4111-8111-111111111111";
const QUEUE_2 = "22222222-2222-4222-8222-222222222222";
const RETENTION_DAYS = 2555;

let azurite: Azurite;
let proxy: FaultProxy;
let arm: ArmStorageFake;
let seeder: ContainerClient; // account key, straight to Azurite: seeding and assertions
let client: ContainerClient; // account key, through the logging proxy: what the CLI uses
const work = mkdtempSync(path.join(tmpdir(), "vault-cli-"));

const sha = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
const token = (principal: string) => ({ getToken: async () => ({ token: principal, expiresOnTimestamp: Date.now() + 3_600_000 }) });
const env = { GCV_VAULT_MANAGEMENT_ENDPOINT: "", ARM_SUBSCRIPTION_ID: SUBSCRIPTION } as NodeJS.ProcessEnv;

interface Run {
  code: number;
  out: string;
  err: string;
}

async function vault(argv: string[], opts: Partial<RunOptions> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runVault([...argv, "--env", "dev"], {
    io: { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false, confirm: async () => false },
    env: { ...env, GCV_VAULT_MANAGEMENT_ENDPOINT: arm.endpoint },
    credential: token("auditor"),
    container: client,
    ...opts,
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

interface Seeded {
  id: string;
  /** blob name -> content */
  blobs: Map<string, Buffer>;
}

/**
 * A conversation as the archiver leaves it: events, transcript, attachments, then the manifest
 * (SHA-256 of each), every blob tagged. `tamper` stores different content than the manifest lists,
 * `omit` lists a blob that is not stored, `extra` stores one the manifest does not list.
 */
async function seed(day: string, queueId: string | undefined, opts: { attachmentBytes?: number[]; tamper?: number[]; omit?: boolean; extra?: boolean; manifest?: boolean } = {}): Promise<Seeded> {
  const id = randomUUID();
  const base = `transcripts/${id}`;
  const tags = (kind: string) => ({ conversationId: id, kind, date: day, mediaType: "message", ...(queueId ? { queueId } : {}) });
  const blobs = new Map<string, Buffer>();
  const put = async (name: string, content: Buffer, kind: string) => {
    await seeder.getBlockBlobClient(name).upload(content, content.length, { tags: tags(kind) });
    blobs.set(name, content);
  };
  await put(`events/${day.replace(/-/g, "/")}/${id}/${randomUUID()}.json`, Buffer.from(JSON.stringify({ topic: "customer.end" })), "event");
  const entries: Array<{ name: string; size: number; sha256: string }> = [];
  const transcript = Buffer.from(JSON.stringify({ conversationId: id, recordings: [] }));
  await put(`${base}/transcript.json`, transcript, "transcript");
  entries.push({ name: `${base}/transcript.json`, size: transcript.length, sha256: sha(transcript) });
  for (const [i, size] of (opts.attachmentBytes ?? [2048]).entries()) {
    const name = `${base}/attachments/att${i}/photo-${i}.jpg`;
    const content = Buffer.alloc(size, i + 1);
    if (opts.tamper?.includes(i)) {
      // Stored content differs from what the manifest proves (same size, one byte changed).
      const altered = Buffer.from(content);
      altered[0] = altered[0]! ^ 0xff;
      await put(name, altered, "attachment");
    } else {
      await put(name, content, "attachment");
    }
    entries.push({ name, size, sha256: sha(content) });
  }
  if (opts.omit) entries.push({ name: `${base}/attachments/gone/lost.pdf`, size: 10, sha256: sha("0123456789") });
  if (opts.extra) await put(`${base}/attachments/stray/added-later.txt`, Buffer.from("not in the manifest"), "attachment");
  if (opts.manifest !== false) await put(`${base}/manifest.json`, Buffer.from(JSON.stringify({ conversationId: id, blobs: entries, blobCount: entries.length, writtenAt: new Date().toISOString() }, null, 2)), "manifest");
  return { id, blobs };
}

/** Content GETs (downloads) the proxy saw, per blob name. */
function downloads(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of proxy.requests) {
    const url = new URL(r.url, "http://x");
    if (r.method !== "GET" || url.search.includes("comp=") || url.search.includes("restype=")) continue;
    const name = decodeURIComponent(url.pathname.replace(`/${AZURITE_ACCOUNT}/vault/`, ""));
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

let march1: Seeded;
let march15: Seeded;
let april2: Seeded;
let marchNoManifest: Seeded;
let tampered: Seeded;
let gaps: Seeded;

beforeAll(async () => {
  azurite = await startAzurite();
  proxy = await startFaultProxy(azurite.origin);
  arm = await startArmStorageFake({ subscriptionId: SUBSCRIPTION, resourceGroupName: "rg-genesys-vault-dev", accountName: "gcvaultdev7f3a", containerName: "vault", immutabilityDays: RETENTION_DAYS, immutabilityState: "Locked" });
  const key = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY);
  seeder = new ContainerClient(`${azurite.blobEndpoint}/vault`, key);
  client = new ContainerClient(`${proxy.origin}/${AZURITE_ACCOUNT}/vault`, key);
  await seeder.create();
  march1 = await seed("2026-03-01", QUEUE_1, { attachmentBytes: [2048, 70_000] });
  march15 = await seed("2026-03-15", QUEUE_2);
  april2 = await seed("2026-04-02", QUEUE_1);
  marchNoManifest = await seed("2026-03-10", QUEUE_1, { manifest: false });
  // One small and one large blob altered: the export buffers small files and streams large ones.
  tampered = await seed("2026-06-01", undefined, { tamper: [0, 1], attachmentBytes: [4096, 1536 * 1024, 1000] });
  gaps = await seed("2026-06-02", undefined, { omit: true, extra: true });
  await seeder.getBlockBlobClient("quarantine/2026/03/02/m1.json").upload("{}", 2, { tags: { kind: "quarantine", date: "2026-03-02" } });
  arm.grant("auditor", [ARM_CONTAINER_READ]);
  arm.grant("hold-manager", [ARM_CONTAINER_READ, ARM_SET_LEGAL_HOLD, ARM_CLEAR_LEGAL_HOLD]);
});

afterAll(async () => {
  await Promise.all([proxy?.close(), arm?.close()]);
  await azurite?.stop();
  rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  proxy.requests.length = 0;
  arm.requests.length = 0;
});

describe("find", () => {
  test("lists the conversations tagged in a day range, grouped, with blob count, kinds and manifest presence", async () => {
    const run = await vault(["find", "--from", "2026-03-01", "--to", "2026-03-31", "--json"]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.out);
    expect(result.query.expression).toBe(`"date" >= '2026-03-01' AND "date" <= '2026-03-31'`);
    const byId = Object.fromEntries(result.conversations.map((c: { conversationId: string }) => [c.conversationId, c]));
    expect(Object.keys(byId).sort()).toEqual([march1.id, march15.id, marchNoManifest.id].sort());
    expect(byId[march1.id]).toEqual({ conversationId: march1.id, blobs: 5, kinds: ["attachment", "event", "manifest", "transcript"], manifest: true });
    expect(byId[marchNoManifest.id].manifest).toBe(false);
    expect(result.quarantined).toBe(1);
    expect(result.note).toMatch(/may not be listed yet/);
  });

  test("--queue and --conversation narrow the search; the text output says the index may lag", async () => {
    const byQueue = await vault(["find", "--from", "2026-03-01", "--to", "2026-04-30", "--queue", QUEUE_1]);
    expect(byQueue.code).toBe(0);
    expect(byQueue.out).toContain(march1.id);
    expect(byQueue.out).toContain(april2.id);
    expect(byQueue.out).toContain(`${marchNoManifest.id}  blobs    3  manifest no`);
    expect(byQueue.out).not.toContain(march15.id);
    expect(byQueue.out).toMatch(/3 conversation\(s\); 1 without a manifest/);
    expect(byQueue.out).toMatch(/blobs written in the last few minutes may not be listed yet/);

    const one = await vault(["find", "--from", "2026-03-01", "--to", "2026-04-30", "--conversation", march15.id, "--json"]);
    expect(JSON.parse(one.out).conversations.map((c: { conversationId: string }) => c.conversationId)).toEqual([march15.id]);
  });

  test.each([
    [["--from", "2026-02-30", "--to", "2026-03-01"], /--from must be a UTC day yyyy-mm-dd/],
    [["--from", "2026-03-01", "--to", "march"], /--to must be a UTC day/],
    [["--from", "2026-03-31", "--to", "2026-03-01"], /--to \(2026-03-01\) is before --from \(2026-03-31\)/],
    [["--from", "2026-03-01"], /--to is required/],
    [["--from", "2026-03-01", "--to", "2026-03-02", "--queue", `x' OR "kind" = 'event`], /--queue must be a Genesys id/],
  ])("bad input %j is refused before anything is read", async (flags, message) => {
    const run = await vault(["find", ...flags]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
    expect(proxy.requests).toEqual([]);
  });

  test("an environment whose archiver writes with a SAS has no index tags: find refuses and says what to use instead", async () => {
    const run = await vault(["find", "--from", "2026-03-01", "--to", "2026-03-31"], { env: { ...env, GCV_DEV_AZURE_WRITER_AUTH: "sas" } });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/writes the vault with a SAS .* Pass the conversation ids to verify or export/);
    expect(proxy.requests).toEqual([]);
  });
});

describe("verify", () => {
  test("an intact conversation: every hash matches, with the locked policy and each blob's retention end", async () => {
    const run = await vault(["verify", march1.id, "--json"]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.out);
    expect(result.ok).toBe(true);
    expect(result.immutability).toEqual({ immutability: { days: RETENTION_DAYS, state: "Locked" }, legalHold: { active: false, tags: [] } });
    const [check] = result.conversations;
    expect(check.blobs.map((b: { status: string }) => b.status)).toEqual(["ok", "ok", "ok"]);
    for (const b of check.blobs) {
      expect(b.actual.sha256).toBe(sha(march1.blobs.get(b.name)!));
      expect(new Date(b.retainedUntil).getTime() - new Date(b.createdOn).getTime()).toBe(RETENTION_DAYS * 86_400_000);
    }
    // Each listed blob was streamed once; the event blob (outside transcripts/) is not part of the proof.
    const counts = downloads();
    for (const b of check.blobs) expect(counts.get(b.name)).toBe(1);
    expect(arm.requests).toEqual([expect.objectContaining({ method: "GET", apiVersion: "2024-01-01", principal: "auditor", status: 200 })]);

    const text = await vault(["verify", march1.id]);
    expect(text.out).toMatch(/Immutability policy: 2555 days from each blob's creation, Locked\. Legal hold: none\./);
    expect(text.out).toMatch(new RegExp(`Conversation ${march1.id}: OK: 3 blob\\(s\\) match the manifest`));
  });

  test("a blob whose content differs from the manifest's hash fails verification (exit 1) and is named", async () => {
    const run = await vault(["verify", tampered.id]);
    expect(run.code).toBe(1);
    const name = `transcripts/${tampered.id}/attachments/att0/photo-0.jpg`;
    expect(run.out).toContain(`MISMATCH ${name}  manifest 4096 B sha256 ${sha(Buffer.alloc(4096, 1))}, vault 4096 B sha256 ${sha(tampered.blobs.get(name)!)}`);
    expect(run.out).toMatch(/MISMATCH transcripts\/.*photo-1\.jpg {2}manifest 1572864 B/);
    expect(run.out).toMatch(/OK +transcripts\/.*photo-2\.jpg/);
    expect(run.out).toContain("Verification FAILED");
  });

  test("a blob listed but missing, and a blob present but not listed, both fail verification", async () => {
    const run = await vault(["verify", gaps.id, march15.id, "--json"]);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.out);
    const [bad, good] = result.conversations;
    expect(good.ok).toBe(true);
    expect(bad.ok).toBe(false);
    const statuses = Object.fromEntries(bad.blobs.map((b: { name: string; status: string }) => [b.name.split("/").slice(2).join("/"), b.status]));
    expect(statuses).toEqual({ "attachments/att0/photo-0.jpg": "ok", "attachments/gone/lost.pdf": "missing", "attachments/stray/added-later.txt": "extra", "transcript.json": "ok" });
  });

  test("without the management-plane right the hashes are still verified and the output says why the state is missing", async () => {
    const run = await vault(["verify", march15.id], { credential: token("data-only") });
    expect(run.code).toBe(0);
    expect(run.out).toContain("Immutability: not shown: your sign-in cannot read the management plane (needs Microsoft.Storage/storageAccounts/blobServices/containers/read)");
    expect(run.out).toMatch(/OK: 2 blob\(s\) match/);
  });

  test("an unknown conversation is bad input: nothing is downloaded", async () => {
    const unknown = randomUUID();
    const run = await vault(["verify", march1.id, unknown]);
    expect(run.code).toBe(2);
    expect(run.err).toContain(`unknown conversation(s) in dev's vault: ${unknown}`);
    expect(downloads().size).toBe(0);
  });

  test("a conversation without a manifest cannot be verified (exit 1)", async () => {
    const run = await vault(["verify", marchNoManifest.id]);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/NOT VERIFIED: no manifest\.json/);
  });
});

describe("hold", () => {
  afterEach(() => arm.holdTags.clear());

  test("a hold manager sets and clears a legal hold; verify shows it while it lasts", async () => {
    const set = await vault(["hold", "set", "--tag", "Case2026x41"], { credential: token("hold-manager") });
    expect(set.code).toBe(0);
    expect([...arm.holdTags]).toEqual(["case2026x41"]);
    expect(set.out).toMatch(/The container is held \(tags: case2026x41\)/);
    expect((await vault(["verify", march15.id])).out).toContain("Legal hold: yes (tags: case2026x41).");

    const clear = await vault(["hold", "clear", "--tag", "case2026x41", "--yes", "--json"], { credential: token("hold-manager") });
    expect(clear.code).toBe(0);
    expect(JSON.parse(clear.out).legalHold).toEqual({ active: false, tags: [] });
    expect(arm.holdTags.size).toBe(0);
  });

  test("a caller without setLegalHold is refused with the missing action named (exit 3), nothing set", async () => {
    const run = await vault(["hold", "set", "--tag", "case1"]);
    expect(run.code).toBe(3);
    expect(run.err).toContain("access denied: setting a legal hold needs Microsoft.Storage/storageAccounts/blobServices/containers/setLegalHold/action on the vault container (AuthorizationFailed)");
    expect(arm.holdTags.size).toBe(0);
  });

  test("an ARM request without a token is 401: the stand-in behaves like ARM", async () => {
    const response = await fetch(`${arm.endpoint}/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-genesys-vault-dev/providers/Microsoft.Storage/storageAccounts/gcvaultdev7f3a/blobServices/default/containers/vault?api-version=2024-01-01`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("AuthenticationFailed");
  });

  test.each([
    [["hold", "set", "--tag", "ab"], /not a legal-hold tag: Azure accepts 3 to 23 letters or digits/],
    [["hold", "set", "--tag", "case-2026"], /not a legal-hold tag/],
    [["hold", "set"], /--tag is required/],
    [["hold", "clear", "--tag", "case1"], /pass --yes to confirm when stdin is not a terminal/],
  ])("%j is refused before the management plane is called", async (argv, message) => {
    arm.holdTags.add("case1");
    const run = await vault(argv, { credential: token("hold-manager") });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
    expect(arm.requests).toEqual([]);
    expect([...arm.holdTags]).toEqual(["case1"]);
  });

  test("no subscription configured: hold says which setting names it", async () => {
    const run = await vault(["hold", "set", "--tag", "case1"], { env: { GCV_VAULT_MANAGEMENT_ENDPOINT: arm.endpoint } });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/no Azure subscription for environment dev: set azure.subscriptionId, GCV_DEV_AZURE_SUBSCRIPTION_ID or ARM_SUBSCRIPTION_ID/);
  });
});

describe("no sign-in", () => {
  const unavailable = {
    getToken: async () => {
      throw new CredentialUnavailableError("EnvironmentCredential is unavailable. No underlying credential could be used.");
    },
  };

  test.each([
    [["find", "--from", "2026-03-01", "--to", "2026-03-31"]],
    [["verify", randomUUID()]],
    [["export", randomUUID(), "--out", "OUT"]],
    [["hold", "set", "--tag", "case1"]],
  ])("%j exits 3 with how to sign in; nothing is read or written", async (argv) => {
    const out = path.join(work, `no-sign-in-${randomUUID()}`);
    const run = await vault(argv.map((a) => (a === "OUT" ? out : a)), { credential: unavailable });
    expect(run.code).toBe(3);
    expect(run.err).toMatch(/no Azure sign-in: EnvironmentCredential is unavailable.*Sign in first: `az login`/);
    expect(proxy.requests).toEqual([]);
    expect(arm.requests).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});

describe("export", () => {
  /** Every exported file's hash matches the manifest it came with, and the export manifest lists them. */
  function expectVerifiedExport(out: string, conversations: Seeded[]): void {
    const exportManifest = JSON.parse(readFileSync(path.join(out, "export-manifest.json"), "utf8"));
    const listed = new Map<string, { size: number; sha256: string; sourceBlob: string; exportedAt: string }>(exportManifest.files.map((f: { path: string }) => [f.path, f]));
    for (const c of conversations) {
      const manifestBytes = readFileSync(path.join(out, c.id, "manifest.json"));
      expect(manifestBytes.equals(c.blobs.get(`transcripts/${c.id}/manifest.json`)!)).toBe(true);
      for (const entry of JSON.parse(manifestBytes.toString()).blobs as Array<{ name: string; size: number; sha256: string }>) {
        const file = `${c.id}/${entry.name.slice(`transcripts/${c.id}/`.length)}`;
        const content = readFileSync(path.join(out, file));
        expect(sha(content)).toBe(entry.sha256);
        expect(listed.get(file)).toEqual({ path: file, size: entry.size, sha256: entry.sha256, sourceBlob: entry.name, exportedAt: expect.any(String) });
      }
    }
    const leftovers = readdirSync(out, { recursive: true }).map(String).filter((f) => f.endsWith(".part"));
    expect(leftovers).toEqual([]);
  }

  test("exports conversations by id with an export manifest; a second run downloads nothing", async () => {
    const out = path.join(work, "by-id");
    const run = await vault(["export", march1.id, "--conversation", march15.id, "--out", out]);
    expect(run.code).toBe(0);
    expectVerifiedExport(out, [march1, march15]);
    const exportManifest = JSON.parse(readFileSync(path.join(out, "export-manifest.json"), "utf8"));
    expect(exportManifest.tool).toEqual({ name: "npm run vault -- export", package: "genesys-vault-pipelines", version: require("../../package.json").version });
    expect(exportManifest.query).toEqual({ conversations: [march1.id, march15.id] });
    expect(exportManifest.source).toEqual({ storageAccount: "gcvaultdev7f3a", container: "vault", blobEndpoint: "https://gcvaultdev7f3a.blob.core.windows.net" });
    expect(exportManifest.files).toHaveLength(3 + 1 + 2 + 1);
    expect(run.err).toMatch(/\[5\/5\] .* verified \(.* of .*\)/);
    expect(run.out).not.toContain(march1.blobs.get(`transcripts/${march1.id}/transcript.json`)!.toString());

    proxy.requests.length = 0;
    const again = await vault(["export", march1.id, march15.id, "--out", out, "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ ok: true, files: 7, downloaded: 0, alreadyExported: 7 });
    expect(downloads().size).toBe(0);
  });

  test("exports a day range (conversations with a manifest; the incomplete one is reported and the run exits 1)", async () => {
    const out = path.join(work, "by-range");
    const run = await vault(["export", "--from", "2026-03-01", "--to", "2026-03-31", "--out", out]);
    expect(run.code).toBe(1);
    expectVerifiedExport(out, [march1, march15]);
    expect(run.out).toContain(`SKIPPED  ${marchNoManifest.id}: no manifest.json`);
    expect(JSON.parse(readFileSync(path.join(out, "export-manifest.json"), "utf8")).query).toEqual({
      from: "2026-03-01",
      to: "2026-03-31",
      expression: `"date" >= '2026-03-01' AND "date" <= '2026-03-31'`,
    });
  });

  test("a blob whose hash differs is reported and never written under its name", async () => {
    const out = path.join(work, "tampered");
    const run = await vault(["export", tampered.id, "--out", out]);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/FAILED +.*att0\/photo-0\.jpg: hash mismatch: the manifest says 4096 B sha256 [0-9a-f]{64}, the vault sent 4096 B sha256/);
    expect(existsSync(path.join(out, tampered.id, "attachments", "att0", "photo-0.jpg"))).toBe(false);
    expect(existsSync(path.join(out, tampered.id, "attachments", "att0", "photo-0.jpg.part"))).toBe(false);
    expect(existsSync(path.join(out, tampered.id, "attachments", "att1", "photo-1.jpg"))).toBe(false);
    expect(existsSync(path.join(out, tampered.id, "attachments", "att1", "photo-1.jpg.part"))).toBe(false);
    expect(existsSync(path.join(out, tampered.id, "attachments", "att2", "photo-2.jpg"))).toBe(true);
    const exportManifest = JSON.parse(readFileSync(path.join(out, "export-manifest.json"), "utf8"));
    expect(exportManifest.files.map((f: { path: string }) => f.path)).not.toContain(`${tampered.id}/attachments/att0/photo-0.jpg`);
    expect(exportManifest.failures.map((f: { path: string }) => f.path).sort()).toEqual([`${tampered.id}/attachments/att0/photo-0.jpg`, `${tampered.id}/attachments/att1/photo-1.jpg`]);
  });

  test("an unknown conversation or an unwritable folder: exit 2, nothing written", async () => {
    const out = path.join(work, "unknown");
    const unknown = await vault(["export", march1.id, randomUUID(), "--out", out]);
    expect(unknown.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(downloads().size).toBe(0);

    proxy.requests.length = 0;
    const file = path.join(work, "a-file");
    writeFileSync(file, "x");
    const unwritable = await vault(["export", march1.id, "--out", path.join(file, "export")]);
    expect(unwritable.code).toBe(2);
    expect(unwritable.err).toMatch(/--out .*a-file\/export: .*a-file is not a folder\. Nothing was read or written\./);
    expect(proxy.requests).toEqual([]);
  });

  test("killed mid-way and run again: completed files are not downloaded twice and the final export verifies", async () => {
    const day = "2026-05-01";
    const many: Seeded[] = [];
    for (let i = 0; i < 24; i++) many.push(await seed(day, QUEUE_2, { attachmentBytes: [1536 * 1024, 256 * 1024] }));
    const out = path.join(work, "resumed");
    const args = ["export", "--from", day, "--to", day, "--out", out, "--env", "dev"];
    const childEnv = { ...process.env, GCV_VAULT_BLOB_ENDPOINT: `${proxy.origin}/${AZURITE_ACCOUNT}` };

    // First run in its own process, killed (SIGKILL: no cleanup) once some files are done.
    const child = spawn(process.execPath, ["--disable-warning=DEP0044", path.join(ROOT, "scripts/run-ts.mjs"), path.join(ROOT, "test/support/vault-cli-child.ts"), ...args], { env: childEnv, stdio: "ignore" });
    const journalPath = path.join(out, "export-journal.jsonl");
    const journalLines = () => (existsSync(journalPath) ? readFileSync(journalPath, "utf8").split("\n").filter(Boolean).length : 0);
    await new Promise<void>((resolve) => {
      // Kill once the manifests and ten files are done.
      const poll = setInterval(() => {
        if (journalLines() >= many.length + 10) child.kill("SIGKILL");
      }, 5);
      child.on("exit", () => {
        clearInterval(poll);
        resolve();
      });
    });
    expect(child.signalCode).toBe("SIGKILL");
    expect(existsSync(path.join(out, "export-manifest.json"))).toBe(false);
    const journal = readFileSync(path.join(out, "export-journal.jsonl"), "utf8").split("\n").filter(Boolean);
    const completedFirst = journal.map((l) => JSON.parse(l).path as string);
    expect(completedFirst.length).toBeGreaterThanOrEqual(10 + many.length);

    const rerun = await vault(["export", "--from", day, "--to", day, "--out", out]);
    expect(rerun.code).toBe(0);
    expectVerifiedExport(out, many);
    const counts = downloads();
    const fileOf = (blob: string) => blob.replace(/^transcripts\//, "");
    for (const c of many) for (const blob of c.blobs.keys()) if (blob.startsWith("transcripts/")) expect(counts.get(blob)).toBeGreaterThanOrEqual(1);
    // Completed files were downloaded exactly once over both runs; only the few in flight at the kill twice.
    for (const file of completedFirst) expect(counts.get(`transcripts/${file}`)).toBe(1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([blob]) => fileOf(blob));
    expect(twice.length).toBeLessThanOrEqual(4);
    for (const file of twice) expect(completedFirst).not.toContain(file);
  }, 60_000);
});

describe("usage", () => {
  test("a misspelt command suggests the intended one; each command has its own help", async () => {
    const typo = await vault(["verfy", randomUUID()]);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('unknown command "verfy" (did you mean "verify"?)');
    const help = await vault(["export", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: npm run vault -- export/);
    expect(help.out).toContain("export-journal.jsonl");
  });

  test("an unknown environment names the known ones", async () => {
    const out: string[] = [];
    const code = await runVault(["verify", randomUUID(), "--env", "prd"], { io: { out: () => undefined, err: (l) => out.push(l), interactive: false, confirm: async () => false }, env: {}, credential: token("auditor"), container: client });
    expect(code).toBe(2);
    expect(out.join("\n")).toMatch(/unknown environment "prd" \(did you mean "prod"\?\)/);
  });
});
