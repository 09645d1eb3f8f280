import { BUSINESS_METRICS, metricsNamespace, WEBHOOK_DECISIONS } from "../../../functions/shared/metric-names";

type MetricsModule = typeof import("../../../functions/shared/metrics");

/** Loads metrics.ts afresh under `env` and returns it with the EMF documents it writes to stdout. */
function load(env: Record<string, string | undefined>): { mod: MetricsModule; emitted: () => Array<Record<string, any>> } {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  let mod!: MetricsModule;
  jest.isolateModules(() => {
    mod = require("../../../functions/shared/metrics");
  });
  process.env = saved;
  const lines: string[] = [];
  jest.spyOn(process.stdout, "write").mockImplementation((chunk: any) => {
    lines.push(String(chunk));
    return true;
  });
  return {
    mod,
    emitted: () => lines.flatMap((l) => l.split("\n")).filter((l) => l.includes("_aws")).map((l) => JSON.parse(l)),
  };
}

afterEach(() => jest.restoreAllMocks());

describe("business metrics (EMF)", () => {
  test("one EMF document per flush, in the environment's namespace, with the function as service", () => {
    const { mod, emitted } = load({ POWERTOOLS_METRICS_NAMESPACE: metricsNamespace("prod"), POWERTOOLS_SERVICE_NAME: "gcv-prod-transcript-archiver", POWERTOOLS_DEV: undefined });
    mod.countMetric(BUSINESS_METRICS.eventsArchived);
    mod.countMetric(BUSINESS_METRICS.eventsArchived);
    mod.countMetric(BUSINESS_METRICS.bytesArchived, 2048, "Bytes");
    mod.flushMetrics();
    const docs = emitted();
    expect(docs).toHaveLength(1);
    const [doc] = docs;
    expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe("GenesysVault/prod");
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([["service"]]);
    expect(doc.service).toBe("gcv-prod-transcript-archiver");
    expect(doc.EventsArchived).toEqual([1, 1]);
    expect(doc.BytesArchived).toBe(2048);
    expect(doc._aws.CloudWatchMetrics[0].Metrics).toEqual(
      expect.arrayContaining([
        { Name: "EventsArchived", Unit: "Count" },
        { Name: "BytesArchived", Unit: "Bytes" },
      ]),
    );
  });

  test("a flush with nothing counted writes nothing (no warning lines in the logs either)", () => {
    const { mod, emitted } = load({ POWERTOOLS_METRICS_NAMESPACE: "GenesysVault/dev" });
    mod.flushMetrics();
    expect(emitted()).toEqual([]);
    expect((process.stdout.write as unknown as jest.Mock).mock.calls).toHaveLength(0);
  });

  test("without a namespace (a function run outside its stack) nothing is emitted", () => {
    const { mod, emitted } = load({ POWERTOOLS_METRICS_NAMESPACE: undefined });
    mod.countMetric(BUSINESS_METRICS.recordsQuarantined);
    mod.countDimensioned(BUSINESS_METRICS.webhookDecisions, "decision", "applied");
    mod.flushMetrics();
    expect(emitted()).toEqual([]);
  });

  test("a dimensioned count is its own document carrying the dimension", () => {
    const { mod, emitted } = load({ POWERTOOLS_METRICS_NAMESPACE: "GenesysVault/dev", POWERTOOLS_SERVICE_NAME: "gcv-dev-webhook-receiver" });
    mod.countDimensioned(BUSINESS_METRICS.webhookDecisions, "decision", "stale");
    const [doc] = emitted();
    expect(doc.decision).toBe("stale");
    expect(doc.WebhookDecisions).toBe(1);
    expect(doc._aws.CloudWatchMetrics[0].Dimensions[0]).toEqual(expect.arrayContaining(["service", "decision"]));
  });

  test("metric names are unique and webhook decisions are a closed list", () => {
    const names = Object.values(BUSINESS_METRICS);
    expect(new Set(names).size).toBe(names.length);
    expect(WEBHOOK_DECISIONS).toContain("applied");
    expect(WEBHOOK_DECISIONS).toContain("unauthorized");
  });
});
