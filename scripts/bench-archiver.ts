/**
 * Transcript-archiver benchmark: throughput of the bundled handler on 2,000 events
 * against Azurite, next to the raw upload ceiling of the same @azure/storage-blob
 * client and Azurite in the same run (same bodies, same concurrency), plus each
 * bundle's zipped size and cold-load time.
 *
 * The handler is imported into this process and called with the SQS event and a
 * context, as Lambda's Node.js runtime calls it, so it is timed in the same process
 * as the ceiling's uploads. The same bundle is also timed through the tests' harness
 * (a child process fed over stdio, test/support/invoke-bundle.ts), whose per-call
 * round trip Lambda does not have: that figure is printed beside it, not compared
 * with the target. The three alternate in rounds of 100 events, each round starting
 * with a different one, so that background load on the machine and the order hit all
 * alike; each writes to its own container.
 *
 * Targets: throughput ratio >= 0.9, archiver bundle < 300 KB zipped, cold load < 150 ms.
 * Run alone: BENCH_ONLY=archiver npm run bench
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { AnonymousCredential, ContainerClient, newPipeline } from "@azure/storage-blob";
import { bundleFunction, listFunctions } from "../lib/bundling";
import { statSync } from "node:fs";
import { startAzurite } from "../test/support/azurite";
import { sqsBatch, sqsRecord, transcriptionEvent } from "../test/support/events";
import { startBundle } from "../test/support/invoke-bundle";
import { startSecretsFake } from "../test/support/secrets-fake";
import type { LambdaContext } from "../functions/shared/lambda-types";

const EVENTS = 2_000;
const ROUND = 100;
/** SQS batch size of the event source mapping: records of one batch run in parallel. */
const BATCH_SIZE = 10;
const COLD_LOAD_RUNS = 5;

/** Runs the benchmark and returns its measurements (also printed). */
export async function benchArchiver(): Promise<Record<string, number | string>> {
  const results: Record<string, number | string> = {};
  const { entry } = bundleFunction("transcript-archiver");

  const azurite = await startAzurite({ inMemory: true, compactHeap: false });
  const secrets = await startSecretsFake();
  try {
    const service = azurite.serviceClient();
    for (const container of ["ceiling", "vault", "vault-harness"]) await service.getContainerClient(container).create();
    const vaultSecret = (container: string) =>
      secrets.put(container, {
        blobEndpoint: azurite.blobEndpoint,
        containerName: container,
        sasToken: azurite.containerSas(container, "cw"),
        expiresOn: new Date(Date.now() + 3_600_000).toISOString(),
      });
    const env = {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ACCESS_KEY_ID: "bench",
      AWS_SECRET_ACCESS_KEY: "bench",
      AWS_REGION: "us-east-1",
      POWERTOOLS_SERVICE_NAME: "transcript-archiver",
      LOG_LEVEL: "WARN",
    };
    // Each path gets events of its own (an event archived twice would be a 409, not an upload).
    const events = () => Array.from({ length: EVENTS }, (_, i) => JSON.stringify(transcriptionEvent({ conversationId: `bench-${i % 50}` })));
    const bodies = events();
    const harnessBodies = events();
    const batchOf = (slice: string[]) => sqsBatch(slice.map((body) => sqsRecord(body)));

    // Ceiling: the same client uploading the same bodies create-only, BATCH_SIZE at a time.
    const ceilingClient = new ContainerClient(`${azurite.blobEndpoint}/ceiling?${azurite.containerSas("ceiling", "cw")}`, newPipeline(new AnonymousCredential()));
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

    const inProcess = await importHandler(entry, { ...env, AZURE_VAULT_SECRET_ARN: vaultSecret("vault") });
    const harness = await startBundle(entry, { ...env, AZURE_VAULT_SECRET_ARN: vaultSecret("vault-harness") }, "handler", { sourceMaps: false, compactHeap: false, isolation: "process" });
    try {
      // Warm every path (connections, secret, module init) outside the timing.
      const warmUp = () => batchOf([JSON.stringify(transcriptionEvent({ conversationId: "warm-up" }))]);
      await inProcess.invoke(warmUp());
      await harness.invoke(warmUp());
      await uploadRaw([bodies[0]!], EVENTS);
      const ms = { ceiling: 0, archiver: 0, harness: 0 };
      let failures = 0;
      const failed = (response: unknown) => (response as { batchItemFailures: unknown[] }).batchItemFailures.length;
      // One batch of each path, by batch offset; each round runs all three, starting with a different one.
      const paths: Array<[keyof typeof ms, (i: number) => Promise<unknown>]> = [
        ["ceiling", (i) => uploadRaw(bodies.slice(i, i + BATCH_SIZE), i)],
        ["archiver", async (i) => (failures += failed(await inProcess.invoke(batchOf(bodies.slice(i, i + BATCH_SIZE)))))],
        ["harness", async (i) => (failures += failed(await harness.invoke(batchOf(harnessBodies.slice(i, i + BATCH_SIZE)))))],
      ];
      for (let round = 0; round < EVENTS; round += ROUND) {
        const first = (round / ROUND) % paths.length;
        for (const [name, batch] of [...paths.slice(first), ...paths.slice(0, first)]) {
          const started = performance.now();
          for (let i = round; i < round + ROUND; i += BATCH_SIZE) await batch(i);
          ms[name] += performance.now() - started;
        }
      }
      if (failures) throw new Error(`benchmark: ${failures} records failed`);
      // Every timed event (and the warm-up's) is in its container: nothing was skipped.
      for (const container of ["vault", "vault-harness"]) {
        let stored = 0;
        for await (const _ of service.getContainerClient(container).listBlobsFlat({ prefix: "events/" })) stored++;
        if (stored !== EVENTS + 1) throw new Error(`benchmark: ${stored} events in container ${container}, expected ${EVENTS + 1}`);
      }
      const perSecond = (elapsedMs: number) => round(EVENTS / (elapsedMs / 1000));

      results["archiver: events/s through the bundled handler"] = perSecond(ms.archiver);
      results["archiver: raw upload ceiling, same client (events/s)"] = perSecond(ms.ceiling);
      results["archiver: throughput / ceiling"] = round(ms.ceiling / ms.archiver, 2);
      results["archiver: target"] = "throughput / ceiling >= 0.9";
      results["archiver: events/s through the tests' child-process harness (not the target's figure)"] = perSecond(ms.harness);
    } finally {
      await harness.close();
      inProcess.restoreEnv();
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

/**
 * Imports the ESM bundle into this process with `env` set (module scope reads it at
 * import, the handler at each call) and calls its handler as Lambda's runtime does.
 */
async function importHandler(entry: string, env: Record<string, string>) {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  const mod = (await import(pathToFileURL(entry).href)) as { handler: (event: unknown, context: LambdaContext) => Promise<unknown> };
  return {
    invoke(event: unknown): Promise<unknown> {
      const deadline = Date.now() + 30_000;
      return mod.handler(event, { functionName: "transcript-archiver", awsRequestId: randomUUID(), getRemainingTimeInMillis: () => deadline - Date.now() });
    },
    restoreEnv(): void {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    },
  };
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

