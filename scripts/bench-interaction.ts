/**
 * Interaction pipeline throughput under the Genesys rate limit: 2,000 conversation
 * events through the bundled dispatcher, the workflow (aws-local-stepfunctions) and
 * the bundled processor, against the Genesys fake enforcing 300 requests per "minute"
 * for the OAuth client, with the minute scaled down to BENCH_INTERACTION_MINUTE_MS
 * (default 2000 ms: at 1000 ms = 300 requests/s, a 2-core machine running the whole local
 * stack is itself the bottleneck and the rate limit never engages). Retry intervals of the
 * workflow are scaled the same way; the fake's Retry-After stays in whole real seconds.
 *
 * Figures: completion time against the rate-limit floor (events / limit * minute),
 * their ratio (target <= 1.5), 429s answered, workflow retries, events lost (must be 0)
 * and events applied more than once (must be 0).
 *
 * Run alone: `BENCH_ONLY=interaction npm run bench`.
 */
import { DEFAULT_INTERACTION_RETRY_POLICY } from "../constructs/interaction/state-machine-definition";
import { conversationEvent } from "../test/support/conversation-events";
import { sqsBatch, sqsRecord } from "../test/support/events";
import { startInteractionPipeline } from "../test/support/interaction-pipeline";

const EVENTS = Number(process.env.BENCH_INTERACTION_EVENTS ?? 2000);
const RATE_LIMIT_PER_MINUTE = 300;
const MINUTE_MS = Number(process.env.BENCH_INTERACTION_MINUTE_MS ?? 2000);
/** Processor containers (its reserved concurrency): a few suffice at 300 requests per minute. */
const PROCESSOR_CONCURRENCY = Number(process.env.BENCH_INTERACTION_PROCESSORS ?? 8);
const SQS_BATCH_SIZE = 10;

/** Runs the benchmark; returns its figures. */
export async function benchInteraction(): Promise<Record<string, number | string>> {
  // aws-local-stepfunctions needs Promise.withResolvers (Node >= 22).
  if (typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers !== "function") {
    throw new Error("bench-interaction needs Node >= 22 (Promise.withResolvers); run it with node_modules/.bin/node");
  }
  const scale = MINUTE_MS / 60_000;
  const scaledMs = (seconds: number) => Math.max(1, Math.round(seconds * 1000 * scale));
  const policy = DEFAULT_INTERACTION_RETRY_POLICY;
  const pipeline = await startInteractionPipeline({
    genesys: { rateLimitPerMinute: RATE_LIMIT_PER_MINUTE, minuteMs: MINUTE_MS, rateLimitScope: "client" },
    processorConcurrency: PROCESSOR_CONCURRENCY,
    // Mean of a FULL-jitter first wait is half the interval; scaled to the bench's minute.
    retryIntervalsMs: [
      scaledMs(policy.rateLimited.intervalSeconds / 2),
      scaledMs(policy.transient.intervalSeconds / 2),
      scaledMs(policy.lambdaService.intervalSeconds / 2),
    ],
  });
  try {
    const events = Array.from({ length: EVENTS }, (_, i) => conversationEvent({ eventTime: 1_750_000_000_000 + i }));
    const batches: Array<Array<Record<string, unknown>>> = [];
    for (let i = 0; i < events.length; i += SQS_BATCH_SIZE) batches.push(events.slice(i, i + SQS_BATCH_SIZE));

    const started = performance.now();
    let batchFailures = 0;
    for (const batch of batches) {
      const response = await pipeline.dispatcher.invoke<{ batchItemFailures: unknown[] }>(sqsBatch(batch.map((e) => sqsRecord(e))));
      batchFailures += response.batchItemFailures.length;
    }
    const dispatchedMs = performance.now() - started;
    await pipeline.stepFunctions.idle();
    const elapsedMs = performance.now() - started;

    const floorMs = (EVENTS / RATE_LIMIT_PER_MINUTE) * MINUTE_MS;
    const patches = pipeline.genesys.requestsOf("participantAttributes");
    const appliedPerConversation = new Map<string, number>();
    for (const request of patches) {
      if (request.status !== 202) continue;
      const conversationId = request.path.split("/")[4]!;
      appliedPerConversation.set(conversationId, (appliedPerConversation.get(conversationId) ?? 0) + 1);
    }
    const failed = new Set(pipeline.failureQueue.bodies<{ event: { id: string } }>().map((m) => m.event.id));
    let lost = 0;
    for (const event of events) {
      const conversationId = (event.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;
      if (!appliedPerConversation.has(conversationId) && !failed.has(event.id as string)) lost++;
    }
    const executions = [...pipeline.stepFunctions.executions.values()];
    const workflowRetries = executions.reduce((n, e) => n + e.events.filter((ev) => ev.type === "StateRetried").length, 0);
    return {
      "interaction: events": EVENTS,
      "interaction: rate limit": `${RATE_LIMIT_PER_MINUTE}/min per client, 1 min = ${MINUTE_MS} ms`,
      "interaction: processor concurrency": PROCESSOR_CONCURRENCY,
      "interaction: dispatch time (ms)": Math.round(dispatchedMs),
      "interaction: completion time (ms)": Math.round(elapsedMs),
      "interaction: rate-limit floor (ms)": Math.round(floorMs),
      "interaction: completion / floor": Number((elapsedMs / floorMs).toFixed(2)),
      "interaction: target": "completion / floor <= 1.5, lost = 0, duplicates = 0",
      "interaction: 429 answers": patches.filter((r) => r.status === 429).length,
      "interaction: workflow retries": workflowRetries,
      "interaction: processor invocations": pipeline.processorInvocations(),
      "interaction: applied": appliedPerConversation.size,
      "interaction: in failure queue": failed.size,
      "interaction: dispatcher batch item failures": batchFailures,
      "interaction: lost events": lost,
      "interaction: applied more than once": [...appliedPerConversation.values()].filter((n) => n > 1).length,
    };
  } finally {
    await pipeline.close();
  }
}

