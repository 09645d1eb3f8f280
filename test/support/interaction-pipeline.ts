/**
 * The interaction pipeline assembled from local stand-ins: the SQS stand-in (intake queue with
 * its redrive policy and DLQ, failure queue) feeding the bundled dispatcher through an event
 * source mapping, the workflow definition run by aws-local-stepfunctions behind a
 * StartExecution endpoint, the bundled processor (warm containers: worker threads in the tests,
 * processes in the benchmark; throttled like reserved concurrency), the Genesys fake, dynalite for the idempotency and slot
 * tables, and a Secrets Manager fake. Executions that end FAILED / TIMED_OUT / ABORTED come
 * back into the intake queue as EventBridge status-change events, as the deployed rule does.
 * Shared by the workflow tests and the interaction benchmark.
 */
import { bundleFunction } from "../../lib/bundling";
import {
  INTERACTION_STATES,
  interactionStateMachineDefinition,
  type InteractionStateMachineProps,
} from "../../constructs/interaction/state-machine-definition";
import { interactionMaxReceiveCount } from "../../functions/shared/interaction-backpressure";
import { idempotencyTable, slotsTable, startDynalite, type Dynalite } from "./dynalite";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";
import { startGenesysFake, type GenesysFake, type GenesysFakeOptions } from "./genesys-fake";
import { startBundle, type BundleProcess } from "./invoke-bundle";
import { startSecretsFake, type SecretsFake } from "./secrets-fake";
import { startEventSourceMapping, startSqsLocal, type EventSourceMapping, type LocalQueue, type SqsLocal } from "./sqs-local";
import {
  dynamoDbUpdateItemTask,
  lambdaInvokeTask,
  startStepFunctionsLocal,
  type ExecutionOverrides,
  type StepFunctionsLocal,
} from "./step-functions-local";

export const PROCESSOR_ARN = "arn:aws:lambda:us-east-1:123456789012:function:interaction-processor";
export const SLOTS_TABLE = "interaction-slots";

/** Options of {@link startInteractionPipeline}. */
export interface InteractionPipelineOptions {
  genesys?: GenesysFakeOptions;
  /** Processor "containers" = its reserved concurrency: an invocation finding none idle is throttled. @default 1 */
  processorConcurrency?: number;
  /** Slots of the semaphore. @default processorConcurrency */
  maxRunningExecutions?: number;
  /** Retry waits in ms per retrier of the processor task (index order of the definition). @default 0 for all */
  retryIntervalsMs?: number | number[];
  retry?: InteractionStateMachineProps["retry"];
  /** @default 86400 */
  maxEventAgeSeconds?: number;
  /** Real ms per queue second (visibility timeouts, message age). @default 1000 */
  secondMs?: number;
  /** Genesys rate the dispatcher plans with. @default 300 */
  genesysRequestsPerMinute?: number;
  /** Dispatcher containers (the event source mapping's maximum concurrency). @default 2 */
  dispatcherConcurrency?: number;
  /** Extra environment of the processor. */
  processorEnv?: Record<string, string>;
  /** How each function container runs (see startBundle). @default "thread" */
  isolation?: "thread" | "process";
  /** Extra environment of the dispatcher. */
  dispatcherEnv?: Record<string, string>;
  /**
   * The definition to run, given the stand-ins' processor ARN, failure queue URL and slots table
   * (e.g. the one synthesized into a stack, its references bound to these).
   * @default interactionStateMachineDefinition with those and the options above
   */
  definition?: (local: { processorFunctionArn: string; failureQueueUrl: string; slotsTableName: string }) => object;
}

/** A running pipeline. */
export interface InteractionPipeline {
  genesys: GenesysFake;
  dynalite: Dynalite;
  /** Between the processor and dynalite: inject DynamoDB faults into the idempotency store. */
  processorDynamo: FaultProxy;
  secrets: SecretsFake;
  stepFunctions: StepFunctionsLocal;
  sqs: SqsLocal;
  intake: LocalQueue;
  deadLetters: LocalQueue;
  failureQueue: LocalQueue;
  dispatchers: BundleProcess[];
  processors: BundleProcess[];
  eventSource: EventSourceMapping;
  /** Enqueues events (as EventBridge delivers them to the intake queue). */
  send(events: Array<Record<string, unknown>>): void;
  /** Resolves when the intake queue is empty and every execution has closed. */
  drained(): Promise<void>;
  /** Processor invocations so far, and how many of them Lambda throttled. */
  processorInvocations(): number;
  processorThrottles(): number;
  /** The next `count` slot releases by the workflow fail with a DynamoDB fault. */
  failNextReleases(count: number): void;
  /** Retry waits of the processor task for executions started from now on (as {@link InteractionPipelineOptions.retryIntervalsMs}). */
  setRetryIntervalsMs(ms: number | number[]): void;
  close(): Promise<void>;
}

/** Starts everything; close it in afterAll. */
export async function startInteractionPipeline(options: InteractionPipelineOptions = {}): Promise<InteractionPipeline> {
  const processorBundle = bundleFunction("interaction-processor");
  const dispatcherBundle = bundleFunction("dispatcher");
  const maxEventAgeSeconds = options.maxEventAgeSeconds ?? 86_400;
  const processorConcurrency = options.processorConcurrency ?? 1;
  const [genesys, dynalite, secrets, sqs] = await Promise.all([
    startGenesysFake(options.genesys),
    startDynalite(),
    startSecretsFake(),
    startSqsLocal({ secondMs: options.secondMs, recordCalls: false }),
  ]);
  // dynalite has no UpdateTimeToLive; TTL does not matter within a test run.
  const { ttlAttribute: _ttl, ...table } = idempotencyTable("interaction-idempotency");
  await dynalite.createTable(table);
  await dynalite.createTable(slotsTable(SLOTS_TABLE));
  const deadLetters = sqs.createQueue("interaction-dlq");
  const intake = sqs.createQueue("interaction", {
    visibilityTimeoutSeconds: 180,
    redrive: { deadLetterQueue: deadLetters, maxReceiveCount: interactionMaxReceiveCount(maxEventAgeSeconds, 5) },
  });
  const failureQueue = sqs.createQueue("interaction-failures");

  const processorDynamo = await startFaultProxy(dynalite.endpoint);
  const secretArn = secrets.put("genesys-client", genesys.credentials);
  const awsEnv = { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", LOG_LEVEL: "WARN" };
  const processors = await Promise.all(
    Array.from({ length: processorConcurrency }, () =>
      startBundle(processorBundle.entry, {
        ...awsEnv,
        POWERTOOLS_SERVICE_NAME: "interaction-processor",
        GENESYS_REGION_DOMAIN: "mypurecloud.ie",
        GENESYS_API_BASE_URL: genesys.baseUrl,
        GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
        GENESYS_SECRET_ARN: secretArn,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: processorDynamo.origin,
        IDEMPOTENCY_TABLE_NAME: "interaction-idempotency",
        ...options.processorEnv,
      }, "handler", { isolation: options.isolation }),
    ),
  );
  // Reserved concurrency: an invocation finding every container busy is throttled, as Lambda does.
  const idle = [...processors];
  let invocations = 0;
  let throttles = 0;
  const processorPool = {
    async invoke<R>(event: unknown, opts?: { timeoutMs?: number }): Promise<R> {
      const container = idle.pop();
      if (!container) {
        throttles++;
        throw Object.assign(new Error("Rate Exceeded."), { name: "Lambda.TooManyRequestsException" });
      }
      invocations++;
      try {
        return await container.invoke<R>(event, { ...opts, functionName: "interaction-processor" });
      } finally {
        idle.push(container);
      }
    },
  };

  let releaseFaults = 0;
  const local = { processorFunctionArn: PROCESSOR_ARN, failureQueueUrl: failureQueue.url, slotsTableName: SLOTS_TABLE };
  const definition = options.definition
    ? options.definition(local)
    : interactionStateMachineDefinition({ ...local, retry: options.retry, maxEventAgeSeconds, taskTimeoutSeconds: Math.min(120, maxEventAgeSeconds) });
  const releaseTask = dynamoDbUpdateItemTask(dynalite.client, { failNext: () => releaseFaults > 0 && releaseFaults-- > 0 });
  const S = INTERACTION_STATES;
  const overrides: ExecutionOverrides = {
    taskResourceLocalHandlers: {
      [S.apply]: lambdaInvokeTask(processorPool),
      [S.sendToFailureQueue]: failureQueue.sendMessageTask,
      [S.releaseSlot]: releaseTask,
      [S.releaseSlotAfterFailure]: releaseTask,
      [S.releaseSlotEventUnsent]: releaseTask,
    },
    retryIntervalOverrides: {
      [S.apply]: options.retryIntervalsMs ?? 0,
      [S.sendToFailureQueue]: 0,
      [S.releaseSlot]: 0,
      [S.releaseSlotAfterFailure]: 0,
      [S.releaseSlotEventUnsent]: 0,
    },
  };
  const stepFunctions = await startStepFunctionsLocal({
    definition,
    overrides: () => overrides,
    // The deployed rule: FAILED, TIMED_OUT and ABORTED executions of this workflow, into the intake queue.
    onClosed: (statusChange) => intake.send(JSON.stringify(statusChange)),
  });
  const dispatcherEnv = {
    ...awsEnv,
    POWERTOOLS_SERVICE_NAME: "interaction-dispatcher",
    AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    STATE_MACHINE_ARN: stepFunctions.stateMachineArn,
    SLOTS_TABLE_NAME: SLOTS_TABLE,
    MAX_RUNNING_EXECUTIONS: String(options.maxRunningExecutions ?? processorConcurrency),
    MAX_EVENT_AGE_SECONDS: String(maxEventAgeSeconds),
    GENESYS_REQUESTS_PER_MINUTE: String(options.genesysRequestsPerMinute ?? 300),
    INTAKE_QUEUE_URL: intake.url,
    DEAD_LETTER_QUEUE_URL: deadLetters.url,
    FAILURE_QUEUE_URL: failureQueue.url,
    ...options.dispatcherEnv,
  };
  const dispatchers = await Promise.all(
    Array.from({ length: options.dispatcherConcurrency ?? 2 }, () => startBundle(dispatcherBundle.entry, dispatcherEnv, "handler", { isolation: options.isolation })),
  );
  const eventSource = startEventSourceMapping(
    intake,
    dispatchers.map((d) => ({ invoke: <R>(event: unknown) => d.invoke<R>(event, { functionName: "interaction-dispatcher" }) })),
  );
  return {
    genesys,
    dynalite,
    processorDynamo,
    secrets,
    stepFunctions,
    sqs,
    intake,
    deadLetters,
    failureQueue,
    dispatchers,
    processors,
    eventSource,
    send(events) {
      for (const event of events) intake.send(JSON.stringify(event));
    },
    async drained() {
      // Closing executions may put status changes back into the queue: loop until both are quiet.
      for (;;) {
        await eventSource.drained();
        await stepFunctions.idle();
        if (intake.depth === 0) return;
      }
    },
    processorInvocations: () => invocations,
    processorThrottles: () => throttles,
    failNextReleases(count) {
      releaseFaults = count;
    },
    setRetryIntervalsMs(ms) {
      overrides.retryIntervalOverrides![S.apply] = ms;
    },
    async close() {
      await eventSource.stop();
      await Promise.all([...dispatchers, ...processors].map((p) => p.close()));
      await stepFunctions.idle().catch(() => undefined);
      await Promise.all([stepFunctions.close(), genesys.close(), dynalite.stop(), secrets.close(), sqs.close(), processorDynamo.close()]);
    },
  };
}
