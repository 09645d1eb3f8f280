/**
 * Vault-reconciler benchmark: one day of 10,000 ended MESSAGE conversations in the
 * Genesys fake's analytics details query (and as many the day before, which the first
 * interval pages through because it reaches back 24 h), 9,990 with a manifest in Azurite,
 * reconciled by the bundled function with the default slices (60 min) and page size
 * (100). Reports the analytics requests, the time they take at the reconciler's default
 * budget (60/min) and at the documented per-token limit (300/min), the vault checks, the
 * wall time without pacing, and the function process's peak memory.
 * Run alone: BENCH_ONLY=reconciler npm run bench
 */
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { bundleFunction } from "../lib/bundling";
import { startAzurite } from "../test/support/azurite";
import { startGenesysFake, type AnalyticsConversation } from "../test/support/genesys-fake";
import { startBundle } from "../test/support/invoke-bundle";
import { startSecretsFake } from "../test/support/secrets-fake";
import { startSqsLocal } from "../test/support/sqs-local";

const CONVERSATIONS = 10_000;
const MISSING = 10;
const DAY_START = Date.parse("2024-06-01T00:00:00Z");
const DAY_MS = 86_400_000;
/** Genesys' documented budget per client-credentials token, and the reconciler's default share of it. */
const DOCUMENTED_PER_MINUTE = 300;
const DEFAULT_BUDGET_PER_MINUTE = 60;

export async function benchReconciler(): Promise<Record<string, number | string>> {
  const results: Record<string, number | string> = {};
  const { entry } = bundleFunction("vault-reconciler");
  const [azurite, genesys, secrets, sqs] = await Promise.all([startAzurite({ inMemory: true }), startGenesysFake(), startSecretsFake(), startSqsLocal()]);
  try {
    const container = azurite.serviceClient().getContainerClient("vault");
    await container.create();
    const conversations: AnalyticsConversation[] = Array.from({ length: CONVERSATIONS }, (_, i) => {
      const end = DAY_START + Math.floor(((i + 0.5) * DAY_MS) / CONVERSATIONS);
      return { conversationId: randomUUID(), conversationStart: new Date(end - 8 * 60_000).toISOString(), conversationEnd: new Date(end).toISOString(), mediaType: "message" };
    });
    // The previous day too (outside the window): the first interval reaches back RECONCILE_LOOKBACK_HOURS (24) and pages through it.
    const previousDay: AnalyticsConversation[] = conversations.map((c) => ({
      conversationId: randomUUID(),
      conversationStart: new Date(Date.parse(c.conversationStart) - DAY_MS).toISOString(),
      conversationEnd: new Date(Date.parse(c.conversationEnd!) - DAY_MS).toISOString(),
      mediaType: "message",
    }));
    genesys.addAnalyticsConversations([...previousDay, ...conversations]);
    const archived = conversations.slice(MISSING).map((c) => c.conversationId);
    for (let i = 0; i < archived.length; i += 100) {
      await Promise.all(archived.slice(i, i + 100).map((id) => container.getBlockBlobClient(`transcripts/${id}/manifest.json`).upload("{}", 2)));
    }

    const reconciler = await startBundle(
      entry,
      {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
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
      { sourceMaps: false, compactHeap: false },
    );
    try {
      const rssBeforeKb = statusKb(reconciler.pid, "VmRSS");
      const started = performance.now();
      const report = await reconciler.invoke<{ expected: number; missing: number; backfilled: number; analyticsRequests: number }>(
        { window: { start: new Date(DAY_START).toISOString(), end: new Date(DAY_START + DAY_MS).toISOString() } },
        { timeoutMs: 900_000 },
      );
      const wallSeconds = (performance.now() - started) / 1000;
      if (report.expected !== CONVERSATIONS || report.missing !== MISSING || report.backfilled !== MISSING) {
        throw new Error(`benchmark: unexpected report ${JSON.stringify(report)}`);
      }
      const requests = genesys.requestsOf("analyticsDetails").length;
      results["reconciler: conversations / missing / backfilled"] = `${report.expected} / ${report.missing} / ${report.backfilled}`;
      results["reconciler: analytics requests (pages of 100; 24 one-hour slices, the first reaching back 24 h)"] = requests;
      results["reconciler: other Genesys requests (token)"] = genesys.requestsOf("token").length;
      results["reconciler: vault list calls (one per conversation + one per missing)"] = CONVERSATIONS + MISSING;
      results["reconciler: SQS SendMessageBatch calls"] = sqs.counts.get("SendMessageBatch") ?? 0;
      results[`reconciler: time of the requests at the default budget (${DEFAULT_BUDGET_PER_MINUTE}/min, s)`] = Math.round((requests * 60) / DEFAULT_BUDGET_PER_MINUTE);
      results[`reconciler: time of the requests at the documented limit (${DOCUMENTED_PER_MINUTE}/min, s)`] = Math.round((requests * 60) / DOCUMENTED_PER_MINUTE);
      results["reconciler: wall time unpaced, fake Genesys + Azurite (s)"] = Math.round(wallSeconds * 10) / 10;
      results["reconciler: function process RSS before / peak (MiB)"] = `${Math.round(rssBeforeKb / 1024)} / ${Math.round(statusKb(reconciler.pid, "VmHWM") / 1024)}`;
      results["reconciler: targets"] = "fits a 900 s Lambda at the default budget; peak memory well under the 512 MB function";
    } finally {
      await reconciler.close();
    }
  } finally {
    await Promise.all([genesys.close(), secrets.close(), sqs.close()]);
    await azurite.stop();
  }
  return results;
}

function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}
