/**
 * Transcript-archiver benchmark: throughput of the bundled handler on 1,000 events
 * against Azurite, next to the raw upload ceiling of the same @azure/storage-blob
 * client and Azurite in the same run (same bodies, same concurrency), plus each
 * bundle's zipped size and cold-load time.
 * Targets: throughput ratio >= 0.9, archiver bundle < 300 KB zipped, cold load < 150 ms.
 * Run alone: BENCH_ONLY=archiver npm run bench
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { AnonymousCredential, ContainerClient, newPipeline } from "@azure/storage-blob";
import { bundleFunction, listFunctions } from "../lib/bundling";
import { statSync } from "node:fs";
import { startAzurite } from "../test/support/azurite";
import { sqsBatch, sqsRecord, transcriptionEvent } from "../test/support/events";
import { startBundle } from "../test/support/invoke-bundle";
import { startSecretsFake } from "../test/support/secrets-fake";

const EVENTS = 1_000;
/** SQS batch size of the event source mapping: records of one batch run in parallel. */
const BATCH_SIZE = 10;
const COLD_LOAD_RUNS = 5;

/** Runs the benchmark and returns its measurements (also printed). */
export async function benchArchiver(): Promise<Record<string, number | string>> {
  const results: Record<string, number | string> = {};
  const { entry } = bundleFunction("transcript-archiver");

  const azurite = await startAzurite({ inMemory: true });
  const secrets = await startSecretsFake();
  try {
    const service = azurite.serviceClient();
    await service.getContainerClient("ceiling").create();
    await service.getContainerClient("vault").create();
    const sasClient = (container: string) =>
      new ContainerClient(`${azurite.blobEndpoint}/${container}?${azurite.containerSas(container, "cw")}`, newPipeline(new AnonymousCredential()));
    const vaultSecretArn = secrets.put("vault", {
      blobEndpoint: azurite.blobEndpoint,
      containerName: "vault",
      sasToken: azurite.containerSas("vault", "cw"),
      expiresOn: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const bodies = Array.from({ length: EVENTS }, (_, i) => JSON.stringify(transcriptionEvent({ conversationId: `bench-${i % 50}` })));

    // Ceiling: the same client uploading the same bodies create-only, BATCH_SIZE at a time.
    const ceilingClient = sasClient("ceiling");
    const uploadRaw = (slice: string[], offset: number) =>
      Promise.all(
        slice.map((body, j) =>
          ceilingClient.getBlockBlobClient(`raw/${offset + j}.json`).upload(body, Buffer.byteLength(body), {
            conditions: { ifNoneMatch: "*" },
            metadata: { conversationid: "x", topic: "t", eventtime: "e", sha256: "s" },
            blobHTTPHeaders: { blobContentType: "application/json" },
          }),
        ),
      );

    const archiver = await startBundle(
      entry,
      {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        AWS_ACCESS_KEY_ID: "bench",
        AWS_SECRET_ACCESS_KEY: "bench",
        AWS_REGION: "us-east-1",
        AZURE_VAULT_SECRET_ARN: vaultSecretArn,
        POWERTOOLS_SERVICE_NAME: "transcript-archiver",
        LOG_LEVEL: "WARN",
      },
      "handler",
      { sourceMaps: false, compactHeap: false },
    );
    try {
      // Warm both paths (connections, secret, module init) outside the timing.
      await archiver.invoke(sqsBatch([sqsRecord(JSON.stringify(transcriptionEvent({ conversationId: "warm-up" })))]));
      await uploadRaw([bodies[0]!], EVENTS);
      // Interleave rounds of both so that background load on the machine hits both alike.
      let ceilingMs = 0;
      let archiverMs = 0;
      let failures = 0;
      const ROUND = 100;
      for (let round = 0; round < EVENTS; round += ROUND) {
        let started = performance.now();
        for (let i = round; i < round + ROUND; i += BATCH_SIZE) await uploadRaw(bodies.slice(i, i + BATCH_SIZE), i);
        ceilingMs += performance.now() - started;
        started = performance.now();
        for (let i = round; i < round + ROUND; i += BATCH_SIZE) {
          const batch = sqsBatch(bodies.slice(i, i + BATCH_SIZE).map((body) => sqsRecord(body)));
          failures += ((await archiver.invoke(batch)) as { batchItemFailures: unknown[] }).batchItemFailures.length;
        }
        archiverMs += performance.now() - started;
      }
      if (failures) throw new Error(`benchmark: ${failures} records failed`);
      const archiverSeconds = archiverMs / 1000;
      const ceilingSeconds = ceilingMs / 1000;

      results["archiver: events/s through the bundled handler"] = round(EVENTS / archiverSeconds);
      results["archiver: raw upload ceiling, same client (events/s)"] = round(EVENTS / ceilingSeconds);
      results["archiver: throughput / ceiling"] = round(ceilingSeconds / archiverSeconds, 2);
      results["archiver: target"] = "throughput / ceiling >= 0.9";
    } finally {
      await archiver.close();
    }
  } finally {
    await secrets.close();
    await azurite.stop();
  }

  for (const name of listFunctions()) {
    const bundle = bundleFunction(name);
    results[`bundle ${name}: package zipped (KB) / cold load, median of ${COLD_LOAD_RUNS} (ms)`] = `${round(statSync(bundle.packageZip).size / 1024)} / ${round(coldLoadMs(bundle.entry))}`;
  }
  results["bundle: targets"] = "transcript-archiver < 300 KB zipped, cold load < 150 ms";
  return results;
}

/** Median time a fresh `node` process takes to import the bundle (module evaluation included). */
function coldLoadMs(entry: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(entry).href)}); process.stdout.write(String(performance.now() - t));`;
  const runs = Array.from({ length: COLD_LOAD_RUNS }, () =>
    Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: path.dirname(entry), env: { ...process.env, AWS_REGION: "us-east-1" } }).toString()),
  );
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

