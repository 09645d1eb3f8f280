/**
 * Starts a real Azurite Blob service (child process) on 127.0.0.1, port 0, with a
 * temporary data directory, and hands out connection info for the well-known
 * development account. Stop it in afterAll.
 *
 * @example
 * const azurite = await startAzurite();
 * const service = azurite.serviceClient(); // account-key client: full access, for test assertions
 * const sas = azurite.containerSas("vault", "cw"); // what the functions get: create + write only
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import type { TlsCertificate } from "./tls-cert";

/** Azurite's documented development account (public, not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** A running Azurite blob service. */
export interface Azurite {
  /** e.g. `http://127.0.0.1:41234` (`https://` with a certificate) */
  origin: string;
  /** Blob endpoint of the dev account: `<origin>/devstoreaccount1`. */
  blobEndpoint: string;
  /** Connection string with the account key. */
  connectionString: string;
  /** An account-key client (full access: tests use it to list and read what functions wrote). */
  serviceClient(endpoint?: string): BlobServiceClient;
  /** A container SAS token (no leading `?`), e.g. permissions "cw" (create + write), valid for `hours`. */
  containerSas(containerName: string, permissions: string, hours?: number): string;
  stop(): Promise<void>;
}

/** Options of {@link startAzurite}. */
export interface AzuriteOptions {
  /** Keep blobs in memory instead of a temp dir: Azurite then spends about a quarter less CPU. @default true */
  inMemory?: boolean;
  /** Serve HTTPS with this certificate (OAuth needs it). @default HTTP */
  tls?: TlsCertificate;
  /** Accept Entra ID bearer tokens (`--oauth basic`: issuer, audience and lifetime are checked, signatures are not). Needs `tls`. */
  oauth?: boolean;
  /**
   * A 1 MiB young generation and a 96 MiB old space: Azurite then holds about 110 MiB instead of
   * 150 with the tests' small blobs, which matters when two test files each run one. Benchmarks
   * that store a gigabyte turn it off. @default true
   */
  compactHeap?: boolean;
}

/** Starts Azurite's blob service; resolves once it listens. */
export async function startAzurite(opts: AzuriteOptions = {}): Promise<Azurite> {
  const inMemory = opts.inMemory ?? true;
  const location = inMemory ? undefined : mkdtempSync(path.join(tmpdir(), "azurite-"));
  const bin = path.join(path.dirname(require.resolve("azurite/package.json")), "dist", "src", "blob", "main.js");
  const heap = opts.compactHeap === false ? [] : ["--max-semi-space-size=1", "--max-old-space-size=96"];
  const args = [...heap, bin, "--blobHost", "127.0.0.1", "--blobPort", "0", "--silent", "--disableTelemetry", "--skipApiVersionCheck"];
  // Azurite rejects --location together with --inMemoryPersistence.
  args.push(...(location ? ["--location", location] : ["--inMemoryPersistence"]));
  if (opts.tls) args.push("--cert", opts.tls.certPath, "--key", opts.tls.keyPath);
  if (opts.oauth) args.push("--oauth", "basic");
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listens on (https?:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (code ${code}):\n${output}`));
    });
  });
  const blobEndpoint = `${origin}/${AZURITE_ACCOUNT}`;
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY);
  return {
    origin,
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=${opts.tls ? "https" : "http"};AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    serviceClient: (endpoint = blobEndpoint) => new BlobServiceClient(endpoint, credential),
    containerSas(containerName, permissions, hours = 1) {
      return generateBlobSASQueryParameters(
        {
          containerName,
          permissions: ContainerSASPermissions.parse(permissions),
          startsOn: new Date(Date.now() - 5 * 60_000),
          expiresOn: new Date(Date.now() + hours * 3_600_000),
          protocol: SASProtocol.HttpsAndHttp,
        },
        credential,
      ).toString();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          if (location) rmSync(location, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", done);
        child.kill();
      }),
  };
}
