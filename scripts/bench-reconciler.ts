/**
 * Vault-reconciler benchmark: one day of 50,000 ended MESSAGE conversations in the Genesys
 * fake's analytics details query (which answers as documented: conversations that started on
 * a day the interval touches and were active in it, filtered by the body's predicates), plus
 * 50,000 the day before (outside the window) and 500 that lasted 2 to 29 days and ended in the
 * window. Reconciled by the bundled function as a dry run against an empty vault container in
 * Azurite (each conversation then costs two List Blobs calls: its manifest and its backfill
 * marker; filling Azurite with 50,000 manifests first takes longer than the whole run), with the
 * default search (30 days back, hourly slices the day before the window, whole days in it) and
 * page size (100), its checkpoints in dynalite.
 * Reports the analytics requests, the time they take at the reconciler's default budget (60/min)
 * and at the documented per-token limit (300/min), the invocations a run needs at the default
 * budget (900 s timeout, 30 s time guard), the vault checks, the wall time without pacing, and
 * the function process's peak memory.
 * Run alone: BENCH_ONLY=reconciler npm run bench
 */
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { bundleFunction } from "../lib/bundling";
import { startAzurite } from "../test/support/azurite";
import { idempotencyTable, startDynalite } from "../test/support/dynalite";
import { startGenesysFake, type AnalyticsConversation } from "../test/support/genesys-fake";
import { startBundle } from "../test/support/invoke-bundle";
import { startLambdaFake } from "../test/support/lambda-fake";
import { startSecretsFake } from "../test/support/secrets-fake";
import { startSqsLocal } from "../test/support/sqs-local";

const CONVERSATIONS = 50_000;
const LONG_LIVED = 500;
const DAY_START = Date.parse("2024-06-01T00:00:00Z");
const DAY_MS = 86_400_000;
/** Genesys' documented budget per client-credentials token, and the reconciler's default share of it. */
const DOCUMENTED_PER_MINUTE = 300;
const DEFAULT_BUDGET_PER_MINUTE = 60;
/** What one invocation may spend on requests: the 900 s timeout less the 30 s time guard. */
const INVOCATION_BUDGET_S = 870;

export async function benchReconciler(): Promise<Record<string, number | string>> {
  const results: Record<string, number | string> = {};
  const { entry } = bundleFunction("vault-reconciler");
  const [azurite, genesys, secrets, sqs, dynalite, lambda] = await Promise.all([startAzurite({ inMemory: true, compactHeap: false }), startGenesysFake(), startSecretsFake(), startSqsLocal(), startDynalite(), startLambdaFake()]);
  try {
    await dynalite.createTable(idempotencyTable("idempotency"));
    const container = azurite.serviceClient().getContainerClient("vault");
    await container.create();
    const iso = (ms: number) => new Date(ms).toISOString();
    const conversations: AnalyticsConversation[] = Array.from({ length: CONVERSATIONS }, (_, i) => {
      const end = DAY_START + Math.floor(((i + 0.5) * DAY_MS) / CONVERSATIONS);
      return { conversationId: randomUUID(), conversationStart: iso(end - 8 * 60_000), conversationEnd: iso(end), mediaType: "message" };
    });
    // Messaging conversations that stayed open for days (2 to 29) and ended in the window.
    const longLived: AnalyticsConversation[] = Array.from({ length: LONG_LIVED }, (_, i) => {
      const end = DAY_START + Math.floor(((i + 0.5) * DAY_MS) / LONG_LIVED);
      return { conversationId: randomUUID(), conversationStart: iso(end - (2 + (i % 28)) * DAY_MS), conversationEnd: iso(end), mediaType: "message" };
    });
    // The previous day too (outside the window): its last hour is searched for conversations still open at the window start.
    const previousDay: AnalyticsConversation[] = conversations.map((c) => ({
      conversationId: randomUUID(),
      conversationStart: iso(Date.parse(c.conversationStart) - DAY_MS),
      conversationEnd: iso(Date.parse(c.conversationEnd!) - DAY_MS),
      mediaType: "message",
    }));
    genesys.addAnalyticsConversations([...previousDay, ...longLived, ...conversations]);
    const expected = conversations.length + longLived.length;

    const reconciler = await startBundle(
      entry,
      {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
        AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
        IDEMPOTENCY_TABLE_NAME: "idempotency",
        AWS_ACCESS_KEY_ID: "bench",
        AWS_SECRET_ACCESS_KEY: "bench",
        AWS_REGION: "us-east-1",
        AZURE_VAULT_LISTER_SECRET_ARN: secrets.put("lister", {
          blobEndpoint: azurite.blobEndpoint,
          containerName: "vault",
          sasToken: azurite.containerSas("vault", "l"),
          expiresOn: new Date(Date.now() + 3_600_000).toISOString(),
        }),
        GENESYS_REGION_DOMAIN: "mypurecloud.com",
        GENESYS_API_BASE_URL: genesys.baseUrl,
        GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
        GENESYS_SECRET_ARN: secrets.put("genesys", genesys.credentials),
        ARCHIVER_QUEUE_URL: sqs.createQueue("archiver").url,
        // Unpaced here: the time at a given budget is computed from the request count.
        RECONCILE_REQUESTS_PER_MINUTE: "100000",
        POWERTOOLS_METRICS_NAMESPACE: "bench",
        POWERTOOLS_SERVICE_NAME: "vault-reconciler",
        LOG_LEVEL: "WARN",
      },
      "handler",
      { sourceMaps: false, compactHeap: false, isolation: "process" },
    );
    try {
      const rssBeforeKb = statusKb(reconciler.pid, "VmRSS");
      const started = performance.now();
      const report = await reconciler.invoke<{ status: string; expected: number; missing: number; backfilled: number; outlasting: number; analyticsRequests: number }>(
        { window: { start: iso(DAY_START), end: iso(DAY_START + DAY_MS) }, dryRun: true },
        { timeoutMs: 900_000 },
      );
      const wallSeconds = (performance.now() - started) / 1000;
      if (report.status !== "complete" || report.expected !== expected || report.missing !== expected || report.backfilled !== 0) {
        throw new Error(`benchmark: unexpected report ${JSON.stringify(report)}`);
      }
      const requests = genesys.requestsOf("analyticsDetails").length;
      const secondsAtDefault = (requests * 60) / DEFAULT_BUDGET_PER_MINUTE;
      results["reconciler: conversations found (of them open 2-29 days) / missing (empty vault, dry run)"] = `${report.expected} (${LONG_LIVED}) / ${report.missing}`;
      results["reconciler: analytics requests (pages of 100; 30 days back: one per day, hourly the day before, the window's day paged)"] = requests;
      results["reconciler: other Genesys requests (token)"] = genesys.requestsOf("token").length;
      results["reconciler: vault list calls (manifest + backfill marker per conversation)"] = 2 * expected;
      results["reconciler: checkpoint writes (one per page)"] = requests;
      results[`reconciler: time of the requests at the default budget (${DEFAULT_BUDGET_PER_MINUTE}/min, s)`] = Math.round(secondsAtDefault);
      results[`reconciler: invocations a run needs at the default budget (${INVOCATION_BUDGET_S} s of requests each)`] = Math.ceil(secondsAtDefault / INVOCATION_BUDGET_S);
      results[`reconciler: time of the requests at the documented limit (${DOCUMENTED_PER_MINUTE}/min, s)`] = Math.round((requests * 60) / DOCUMENTED_PER_MINUTE);
      results["reconciler: wall time unpaced, fake Genesys + Azurite (s)"] = Math.round(wallSeconds * 10) / 10;
      results["reconciler: function process RSS before / peak (MiB)"] = `${Math.round(rssBeforeKb / 1024)} / ${Math.round(statusKb(reconciler.pid, "VmHWM") / 1024)}`;
      results["reconciler: targets"] = "any day finishes: a run continues in new invocations (checkpoint per page); peak memory well under the 512 MB function";
    } finally {
      await reconciler.close();
    }
  } finally {
    await Promise.all([genesys.close(), secrets.close(), sqs.close(), lambda.close(), dynalite.stop()]);
    await azurite.stop();
  }
  return results;
}

function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}
