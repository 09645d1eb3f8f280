/**
 * The interaction pipeline assembled from local stand-ins: the bundled dispatcher and
 * processor (child processes, like warm Lambda containers), the workflow definition
 * run by aws-local-stepfunctions behind a StartExecution endpoint, the Genesys fake,
 * dynalite for the idempotency table, a Secrets Manager fake and a recording failure
 * queue. Shared by the workflow tests and the interaction benchmark.
 */
import { bundleFunction } from "../../lib/bundling";
import {
  INTERACTION_STATES,
  interactionStateMachineDefinition,
  type InteractionStateMachineProps,
} from "../../constructs/interaction/state-machine-definition";
import { idempotencyTable, startDynalite, type Dynalite } from "./dynalite";
import { startGenesysFake, type GenesysFake, type GenesysFakeOptions } from "./genesys-fake";
import { startBundle, type BundleProcess } from "./invoke-bundle";
import { startSecretsFake, type SecretsFake } from "./secrets-fake";
import {
  FakeQueue,
  lambdaInvokeTask,
  startStepFunctionsLocal,
  type ExecutionOverrides,
  type StepFunctionsLocal,
} from "./step-functions-local";

export const FAILURE_QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/interaction-failures";
export const PROCESSOR_ARN = "arn:aws:lambda:us-east-1:123456789012:function:interaction-processor";

/** Options of {@link startInteractionPipeline}. */
export interface InteractionPipelineOptions {
  genesys?: GenesysFakeOptions;
  /** Processor "containers" (Lambda concurrency of the processor). @default 1 */
  processorConcurrency?: number;
  /** Retry waits in ms per retrier of the processor task (index order of the definition). @default 0 for all */
  retryIntervalsMs?: number | number[];
  retry?: InteractionStateMachineProps["retry"];
  /** Extra environment of the processor. */
  processorEnv?: Record<string, string>;
}

/** A running pipeline. */
export interface InteractionPipeline {
  genesys: GenesysFake;
  dynalite: Dynalite;
  secrets: SecretsFake;
  stepFunctions: StepFunctionsLocal;
  failureQueue: FakeQueue;
  dispatcher: BundleProcess;
  processors: BundleProcess[];
  /** Processor invocations so far. */
  processorInvocations(): number;
  close(): Promise<void>;
}

/** Starts everything; close it in afterAll. */
export async function startInteractionPipeline(options: InteractionPipelineOptions = {}): Promise<InteractionPipeline> {
  const processorBundle = bundleFunction("interaction-processor");
  const dispatcherBundle = bundleFunction("dispatcher");
  const [genesys, dynalite, secrets] = await Promise.all([startGenesysFake(options.genesys), startDynalite(), startSecretsFake()]);
  // dynalite has no UpdateTimeToLive; TTL does not matter within a test run.
  const { ttlAttribute: _ttl, ...table } = idempotencyTable("interaction-idempotency");
  await dynalite.createTable(table);
  const secretArn = secrets.put("genesys-client", genesys.credentials);
  const awsEnv = {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    LOG_LEVEL: "WARN",
  };
  const processorEnv = {
    ...awsEnv,
    POWERTOOLS_SERVICE_NAME: "interaction-processor",
    GENESYS_REGION_DOMAIN: "mypurecloud.ie",
    GENESYS_API_BASE_URL: genesys.baseUrl,
    GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
    GENESYS_SECRET_ARN: secretArn,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    IDEMPOTENCY_TABLE_NAME: "interaction-idempotency",
    ...options.processorEnv,
  };
  const processors = await Promise.all(
    Array.from({ length: options.processorConcurrency ?? 1 }, () => startBundle(processorBundle.entry, processorEnv)),
  );
  // Route each invocation to an idle container, like Lambda does (one request per container at a time).
  const idle = [...processors];
  const waiting: Array<(p: BundleProcess) => void> = [];
  let invocations = 0;
  const processorPool = {
    async invoke<R>(event: unknown, opts?: { timeoutMs?: number }): Promise<R> {
      const container = idle.pop() ?? (await new Promise<BundleProcess>((resolve) => waiting.push(resolve)));
      invocations++;
      try {
        return await container.invoke<R>(event, { ...opts, functionName: "interaction-processor" });
      } finally {
        const next = waiting.shift();
        if (next) next(container);
        else idle.push(container);
      }
    },
  };
  const failureQueue = new FakeQueue();
  const definition = interactionStateMachineDefinition({
    processorFunctionArn: PROCESSOR_ARN,
    failureQueueUrl: FAILURE_QUEUE_URL,
    retry: options.retry,
  });
  const overrides: ExecutionOverrides = {
    taskResourceLocalHandlers: {
      [INTERACTION_STATES.apply]: lambdaInvokeTask(processorPool),
      [INTERACTION_STATES.sendToFailureQueue]: failureQueue.sendMessageTask,
    },
    retryIntervalOverrides: {
      [INTERACTION_STATES.apply]: options.retryIntervalsMs ?? 0,
      [INTERACTION_STATES.sendToFailureQueue]: 0,
    },
  };
  const stepFunctions = await startStepFunctionsLocal({ definition, overrides: () => overrides });
  const dispatcher = await startBundle(dispatcherBundle.entry, {
    ...awsEnv,
    POWERTOOLS_SERVICE_NAME: "interaction-dispatcher",
    AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
    STATE_MACHINE_ARN: stepFunctions.stateMachineArn,
  });
  return {
    genesys,
    dynalite,
    secrets,
    stepFunctions,
    failureQueue,
    dispatcher,
    processors,
    processorInvocations: () => invocations,
    async close() {
      await Promise.all([dispatcher.close(), ...processors.map((p) => p.close())]);
      await stepFunctions.idle().catch(() => undefined);
      await Promise.all([stepFunctions.close(), genesys.close(), dynalite.stop(), secrets.close()]);
    },
  };
}
