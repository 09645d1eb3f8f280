/**
 * Interaction pipeline under the Genesys rate limit, end to end on the local stand-ins: the SQS
 * stand-in and an event source mapping feeding the bundled dispatcher (DynamoDB semaphore on
 * dynalite), the workflow (aws-local-stepfunctions), the bundled processor with reserved
 * concurrency 5 (an invocation finding every container busy is throttled, as Lambda does),
 * and the Genesys fake enforcing 300 requests per "minute" for the OAuth client.
 *
 * Time is scaled: one minute lasts BENCH_INTERACTION_MINUTE_MS (default 6000 ms: 50 events/s,
 * about what a quiet 2-core machine running the whole local stack sustains; every event costs
 * some eight local HTTP round trips and two child-process invocations) for the Genesys rate
 * window, the queue's visibility timeouts and message ages, and the workflow's retry waits.
 * The fake's Retry-After stays in whole real seconds. A run that has not drained after
 * GIVE_UP_AFTER_FLOORS floors stops and says so (20,000 events: floor 400 s, stop at 800 s).
 *
 * Two runs:
 * - burst: BENCH_INTERACTION_BURST (default 20,000) events enqueued at once. Targets: 0 lost,
 *   0 applied twice, 0 in the failure queue or DLQ, completion <= 1.2x the rate-limit floor
 *   (events / limit * minute), peak running executions <= the slot limit, state transitions
 *   per event <= 10.
 * - steady: BENCH_INTERACTION_EVENTS (default 2,000) events arriving at the rate limit.
 *
 * Run alone: `BENCH_ONLY=interaction npm run bench`.
 */
import { DEFAULT_INTERACTION_RETRY_POLICY } from "../constructs/interaction/state-machine-definition";
import { conversationEvent } from "../test/support/conversation-events";
import { startInteractionPipeline, type InteractionPipeline } from "../test/support/interaction-pipeline";

const BURST_EVENTS = Number(process.env.BENCH_INTERACTION_BURST ?? 20_000);
const STEADY_EVENTS = Number(process.env.BENCH_INTERACTION_EVENTS ?? 2000);
const RATE_LIMIT_PER_MINUTE = 300;
const MINUTE_MS = Number(process.env.BENCH_INTERACTION_MINUTE_MS ?? 6000);
/** Processor reserved concurrency, and the slot limit (its default: one slot per processor instance). */
const PROCESSOR_CONCURRENCY = 5;
/** A burst that has not drained after this many floors is stopped and reported as such. */
const GIVE_UP_AFTER_FLOORS = 2;

type Figures = Record<string, number | string>;

/** Runs the benchmark; returns its figures. */
export async function benchInteraction(): Promise<Figures> {
  // aws-local-stepfunctions needs Promise.withResolvers (Node >= 22).
  if (typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers !== "function") {
    throw new Error("bench-interaction needs Node >= 22 (Promise.withResolvers); run it with node_modules/.bin/node");
  }
  return {
    ...(await run("burst", BURST_EVENTS, "burst")),
    ...(await run("steady", STEADY_EVENTS, "steady")),
  };
}

async function run(label: string, count: number, arrival: "burst" | "steady"): Promise<Figures> {
  const scale = MINUTE_MS / 60_000;
  const scaledMs = (seconds: number) => Math.max(1, Math.round(seconds * 1000 * scale));
  const policy = DEFAULT_INTERACTION_RETRY_POLICY;
  const pipeline = await startInteractionPipeline({
    // Each function in its own process, as Lambda runs it.
    isolation: "process",
    genesys: { rateLimitPerMinute: RATE_LIMIT_PER_MINUTE, minuteMs: MINUTE_MS, rateLimitScope: "client" },
    processorConcurrency: PROCESSOR_CONCURRENCY,
    maxRunningExecutions: PROCESSOR_CONCURRENCY,
    genesysRequestsPerMinute: RATE_LIMIT_PER_MINUTE,
    secondMs: 1000 * scale,
    // Mean of a FULL-jitter first wait is half the interval; scaled to the bench's minute.
    retryIntervalsMs: [
      scaledMs(policy.throttled.intervalSeconds / 2),
      scaledMs(policy.transient.intervalSeconds / 2),
      scaledMs(policy.crashed.intervalSeconds / 2),
      scaledMs(policy.lambdaService.intervalSeconds / 2),
    ],
  });
  try {
    const events = Array.from({ length: count }, (_, i) => conversationEvent({ eventTime: 1_750_000_000_000 + i }));
    const floorMs = (count / RATE_LIMIT_PER_MINUTE) * MINUTE_MS;
    const started = performance.now();
    if (arrival === "burst") pipeline.send(events);
    else await sendAtRate(pipeline, events, RATE_LIMIT_PER_MINUTE / MINUTE_MS);
    const drained = await Promise.race([
      pipeline.drained().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), floorMs * GIVE_UP_AFTER_FLOORS).unref()),
    ]);
    const elapsedMs = performance.now() - started;
    return {
      ...figures(pipeline, events, label, elapsedMs, floorMs, drained),
      [`interaction ${label}: drained`]: drained ? "yes" : `no (stopped after ${GIVE_UP_AFTER_FLOORS}x the floor)`,
    };
  } finally {
    await pipeline.close();
  }
}

async function sendAtRate(pipeline: InteractionPipeline, events: Array<Record<string, unknown>>, perMs: number): Promise<void> {
  const start = performance.now();
  let sent = 0;
  while (sent < events.length) {
    const due = Math.min(events.length, Math.floor((performance.now() - start) * perMs) + 1);
    if (due > sent) {
      pipeline.send(events.slice(sent, due));
      sent = due;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function figures(pipeline: InteractionPipeline, events: Array<Record<string, unknown>>, label: string, elapsedMs: number, floorMs: number, drained: boolean): Figures {
  const patches = pipeline.genesys.requestsOf("participantAttributes");
  const appliedPerConversation = new Map<string, number>();
  for (const request of patches) {
    if (request.status !== 202) continue;
    const conversationId = request.path.split("/")[4]!;
    appliedPerConversation.set(conversationId, (appliedPerConversation.get(conversationId) ?? 0) + 1);
  }
  const failed = new Set(pipeline.failureQueue.bodies<{ event: { id: string } | null }>().map((m) => m.event?.id));
  const deadLettered = new Set(pipeline.deadLetters.bodies<{ id?: string }>().map((m) => m.id));
  let lost = 0;
  for (const event of events) {
    const conversationId = (event.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;
    if (!appliedPerConversation.has(conversationId) && !failed.has(event.id as string) && !deadLettered.has(event.id as string)) lost++;
  }
  const executions = [...pipeline.stepFunctions.executions.values()];
  // Step Functions bills every state entered and every retry as a state transition.
  const transitions = executions.reduce((n, e) => n + e.events.filter((ev) => ev.type === "StateEntered" || ev.type === "StateRetried").length, 0);
  const receives = pipeline.intake.sent.length ? pipeline.sqs.counts.get("ChangeMessageVisibilityBatch") ?? 0 : 0;
  const key = (name: string) => `interaction ${label}: ${name}`;
  return {
    [key("events")]: events.length,
    [key("rate limit")]: `${RATE_LIMIT_PER_MINUTE}/min per client, 1 min = ${MINUTE_MS} ms; processor reserved concurrency ${PROCESSOR_CONCURRENCY}, slot limit ${PROCESSOR_CONCURRENCY}`,
    [key("completion time (ms)")]: Math.round(elapsedMs),
    [key("rate-limit floor (ms)")]: Math.round(floorMs),
    [key("completion / floor")]: Number((elapsedMs / floorMs).toFixed(2)),
    [key("target")]: "completion / floor <= 1.2; lost, applied twice, failure queue, DLQ = 0; peak running <= limit; transitions/event <= 10",
    // Not drained: events still queued or running are not lost, they are reported as pending.
    [key(drained ? "lost events" : "pending at stop (queued or running)")]: lost,
    [key("applied more than once")]: [...appliedPerConversation.values()].filter((n) => n > 1).length,
    [key("in failure queue")]: pipeline.failureQueue.sent.length,
    [key("in DLQ")]: pipeline.deadLetters.sent.length,
    [key("peak running executions")]: `${pipeline.stepFunctions.peakRunning()} (limit ${PROCESSOR_CONCURRENCY})`,
    [key("state transitions per event")]: Number((transitions / Math.max(1, executions.length)).toFixed(2)),
    [key("processor throttles")]: pipeline.processorThrottles(),
    [key("429 answers")]: patches.filter((r) => r.status === 429).length,
    [key("dispatcher invocations per event")]: Number((pipeline.eventSource.invocations() / events.length).toFixed(2)),
    [key("visibility back-off calls")]: receives,
  };
}
