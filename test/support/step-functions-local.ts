/**
 * A Step Functions endpoint stand-in for tests: a real HTTP server (127.0.0.1, port 0)
 * speaking the AWS JSON 1.0 protocol the SDK uses for `StartExecution`, which runs each
 * execution with aws-local-stepfunctions (the real ASL interpreter) and the task
 * overrides you give. Point functions at it with `AWS_ENDPOINT_URL_SFN=sfn.endpoint`.
 *
 * Mimics the documented StartExecution semantics of STANDARD workflows:
 * - names must be 1-80 characters of `A-Za-z0-9-_` (else 400 `InvalidName`);
 * - the same name with the same input while that execution is running returns it again;
 *   the same name after it closed, or with a different input, is 400 `ExecutionAlreadyExists`;
 * - inputs over 256 KiB are 400 `InvalidExecutionInput`;
 * - `throttleNext(n)` makes the next n calls answer 400 `ThrottlingException` (the SDK retries those).
 * Also `DescribeStateMachine` of the one machine (another ARN: 400 `StateMachineDoesNotExist`), and
 * `deny(operation)` answers 400 `AccessDeniedException` as IAM does for a role without the permission.
 *
 * Also here: {@link lambdaInvokeTask} (runs a handler the way `arn:aws:states:::lambda:invoke`
 * reports results and errors), {@link dynamoDbUpdateItemTask} (`dynamodb:updateItem` against
 * dynalite) and {@link FakeQueue} (records `sqs:sendMessage` tasks). Executions can be stopped
 * (ABORTED) and report their end through `onClosed`, like EventBridge status-change events.
 *
 * @example
 * const sfn = await startStepFunctionsLocal({ definition, overrides: () => ({ taskResourceLocalHandlers: { Apply: lambdaInvokeTask(fn) } }) });
 * ... // run the dispatcher with AWS_ENDPOINT_URL_SFN=sfn.endpoint, STATE_MACHINE_ARN=sfn.stateMachineArn
 * await sfn.idle();
 * expect([...sfn.executions.values()].map((e) => e.status)).toEqual(["SUCCEEDED"]);
 */
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { UpdateItemCommand, type DynamoDBClient, type UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import { StateMachine } from "aws-local-stepfunctions";
import type { BundleInvocationError } from "./invoke-bundle";

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Run options of one execution (aws-local-stepfunctions `RunOptions["overrides"]`). */
export interface ExecutionOverrides {
  taskResourceLocalHandlers?: Record<string, (input: JsonValue) => Promise<JsonValue> | JsonValue>;
  waitTimeOverrides?: Record<string, number>;
  retryIntervalOverrides?: Record<string, number | number[]>;
}

/** An event of the execution's log (aws-local-stepfunctions `EventLog`), loosely typed. */
export interface ExecutionEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string };
  retry?: { retrier: { ErrorEquals: string[] }; attempt: number };
  Error?: string;
  Cause?: unknown;
}

/** One execution started through the stand-in. */
export interface LocalExecution {
  name: string;
  arn: string;
  input: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";
  output?: unknown;
  /** Error name and cause of a FAILED execution. */
  error?: { name: string; cause: string };
  events: ExecutionEvent[];
  /** Resolves when the execution has closed. */
  done: Promise<void>;
  /** Stops the execution (StopExecution): it ends ABORTED. */
  abort(): void;
}

/** Options of {@link startStepFunctionsLocal}. */
export interface StepFunctionsLocalOptions {
  /** The state machine definition. @default a single Succeed state (enough to test callers of StartExecution) */
  definition?: object;
  /** Overrides per execution (called with the execution's name). */
  overrides?: (execution: { name: string; arn: string }) => ExecutionOverrides;
  stateMachineName?: string;
  /**
   * Called when an execution closes, like the "Step Functions Execution Status Change" event
   * EventBridge emits (`detail.input` is the execution input as a string).
   */
  onClosed?: (statusChange: { source: "aws.states"; "detail-type": "Step Functions Execution Status Change"; detail: Record<string, unknown> }) => void;
}

/** A running stand-in. */
export interface StepFunctionsLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  stateMachineArn: string;
  /** Executions by name, in start order. */
  executions: Map<string, LocalExecution>;
  /** Every StartExecution call with its answer (`started`, `returned-running`, or the error type). */
  calls: Array<{ name: string; outcome: string }>;
  /** Most executions RUNNING at the same time so far. */
  peakRunning(): number;
  /** The next `count` StartExecution calls answer ThrottlingException. */
  throttleNext(count: number): void;
  /** Operations answered with AccessDeniedException from now on (none: allow all again). */
  deny(...operations: string[]): void;
  /** Resolves when every execution started so far has closed. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_DEFINITION = { StartAt: "Done", States: { Done: { Type: "Succeed" } } };
const MAX_INPUT_BYTES = 256 * 1024;

/** Starts the stand-in. Close it in afterAll. */
export async function startStepFunctionsLocal(options: StepFunctionsLocalOptions = {}): Promise<StepFunctionsLocal> {
  const region = process.env.AWS_REGION ?? "us-east-1";
  const machineName = options.stateMachineName ?? "interaction-workflow";
  const stateMachineArn = `arn:aws:states:${region}:123456789012:stateMachine:${machineName}`;
  const machine = new StateMachine((options.definition ?? DEFAULT_DEFINITION) as ConstructorParameters<typeof StateMachine>[0], { validationOptions: { checkPaths: true, checkArn: true } });
  const executions = new Map<string, LocalExecution>();
  const calls: StepFunctionsLocal["calls"] = [];
  let throttled = 0;
  let denied = new Set<string>();
  let running = 0;
  let peakRunning = 0;

  const startExecution = (request: Record<string, unknown>): { status: number; body: Record<string, unknown> } => {
    const name = typeof request.name === "string" ? request.name : randomUUID();
    const input = typeof request.input === "string" ? request.input : "{}";
    const fail = (type: string, message: string) => {
      calls.push({ name, outcome: type });
      return { status: 400, body: { __type: `com.amazonaws.swf.service.v2.model#${type}`, message } };
    };
    if (throttled > 0) {
      throttled--;
      return fail("ThrottlingException", "Rate exceeded");
    }
    if (request.stateMachineArn !== stateMachineArn) return fail("StateMachineDoesNotExist", `State Machine Does Not Exist: '${request.stateMachineArn}'`);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) return fail("InvalidName", `Invalid Name: '${name}'`);
    if (Buffer.byteLength(input) > MAX_INPUT_BYTES) return fail("InvalidExecutionInput", "input is too large");
    let parsedInput: JsonValue;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      return fail("InvalidExecutionInput", "Invalid State Machine Execution Input: not JSON");
    }
    const existing = executions.get(name);
    if (existing) {
      if (existing.status === "RUNNING" && existing.input === input) {
        calls.push({ name, outcome: "returned-running" });
        return { status: 200, body: { executionArn: existing.arn, startDate: Date.now() / 1000 } };
      }
      return fail("ExecutionAlreadyExists", `Execution Already Exists: '${existing.arn}'`);
    }
    const arn = `arn:aws:states:${region}:123456789012:execution:${machineName}:${name}`;
    const startTime = new Date().toISOString();
    const run = machine.run(parsedInput, {
      overrides: options.overrides?.({ name, arn }),
      context: { Execution: { Id: arn, Name: name, Input: parsedInput, StartTime: startTime, RoleArn: "arn:aws:iam::123456789012:role/workflow" } },
    });
    const execution: LocalExecution = { name, arn, input, status: "RUNNING", events: [], done: Promise.resolve(), abort: () => run.abort() };
    running++;
    peakRunning = Math.max(peakRunning, running);
    const collectEvents = (async () => {
      for await (const event of run.eventLogs) execution.events.push(event as unknown as ExecutionEvent);
    })();
    execution.done = run.result
      .then(
        (output: unknown) => ({ ok: true as const, output }),
        (error: Error) => ({ ok: false as const, error }),
      )
      .then(async (outcome) => {
        await collectEvents.catch(() => undefined);
        running--;
        if (outcome.ok) {
          execution.status = "SUCCEEDED";
          execution.output = outcome.output;
          return;
        }
        const failed = execution.events.find((e) => e.type === "ExecutionFailed");
        execution.status =
          outcome.error.name === "ExecutionAbortedError" ? "ABORTED" : outcome.error.name === "ExecutionTimeoutError" ? "TIMED_OUT" : "FAILED";
        execution.error = { name: failed?.Error ?? outcome.error.name, cause: String(failed?.Cause ?? outcome.error.message) };
        options.onClosed?.({
          source: "aws.states",
          "detail-type": "Step Functions Execution Status Change",
          detail: {
            executionArn: arn,
            stateMachineArn,
            name,
            status: execution.status,
            startDate: Date.parse(startTime),
            stopDate: Date.now(),
            input,
            ...(execution.status === "FAILED" ? { error: execution.error.name, cause: execution.error.cause } : {}),
          },
        });
      });
    executions.set(name, execution);
    calls.push({ name, outcome: "started" });
    return { status: 200, body: { executionArn: arn, startDate: Date.now() / 1000 } };
  };

  const describeStateMachine = (request: Record<string, unknown>): { status: number; body: Record<string, unknown> } =>
    request.stateMachineArn === stateMachineArn
      ? { status: 200, body: { stateMachineArn, name: machineName, status: "ACTIVE", type: "STANDARD", definition: JSON.stringify(options.definition ?? DEFAULT_DEFINITION), roleArn: "arn:aws:iam::123456789012:role/workflow", creationDate: 1_700_000_000 } }
      : { status: 400, body: { __type: "com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist", message: `State Machine Does Not Exist: '${String(request.stateMachineArn)}'` } };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const operation = String(req.headers["x-amz-target"] ?? "").replace(/^AWSStepFunctions\./, "");
      let answer: { status: number; body: Record<string, unknown> };
      try {
        const request = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        answer = denied.has(operation)
          ? {
              status: 400,
              body: {
                __type: "com.amazon.coral.service#AccessDeniedException",
                message: `User: arn:aws:sts::123456789012:assumed-role/test-role/fn is not authorized to perform: states:${operation} on resource: ${String(request.stateMachineArn ?? stateMachineArn)} because no identity-based policy allows the states:${operation} action`,
              },
            }
          : operation === "StartExecution"
            ? startExecution(request)
            : operation === "DescribeStateMachine"
              ? describeStateMachine(request)
              : { status: 400, body: { __type: "UnknownOperationException", message: `${operation} is not supported by the stand-in` } };
      } catch (error) {
        answer = { status: 400, body: { __type: "SerializationException", message: (error as Error).message } };
      }
      const text = JSON.stringify(answer.body);
      res
        .writeHead(answer.status, {
          "content-type": "application/x-amz-json-1.0",
          "content-length": String(Buffer.byteLength(text)),
          "x-amzn-requestid": randomUUID(),
        })
        .end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    stateMachineArn,
    executions,
    calls,
    peakRunning: () => peakRunning,
    throttleNext: (count) => {
      throttled = count;
    },
    deny: (...operations) => {
      denied = new Set(operations);
    },
    async idle() {
      // Executions may start while we wait (a task can trigger more); loop until none is running.
      for (;;) {
        const running = [...executions.values()].filter((e) => e.status === "RUNNING");
        if (!running.length) return;
        await Promise.all(running.map((e) => e.done));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Something that runs a Lambda handler (e.g. a {@link import("./invoke-bundle").BundleProcess}). */
export interface LambdaRunner {
  invoke<R = unknown>(event: unknown, opts?: { timeoutMs?: number }): Promise<R>;
}

/**
 * A task override that behaves like `arn:aws:states:::lambda:invoke`: it receives the state's
 * `Parameters` (`{ FunctionName, Payload }`) and the handler gets `Payload` as its event; a result
 * comes back as `{ ExecutedVersion, Payload, StatusCode: 200 }`; a thrown error surfaces with
 * the function's error name as `Error` and the Lambda error JSON as `Cause`.
 */
export function lambdaInvokeTask(runner: LambdaRunner, opts: { timeoutMs?: number } = {}): (input: JsonValue) => Promise<JsonValue> {
  return async (input) => {
    const request = input as { FunctionName?: string; Payload?: JsonValue };
    if (!request.FunctionName) throw new Error("lambda:invoke needs Parameters.FunctionName");
    let payload: unknown;
    try {
      payload = await runner.invoke(request.Payload ?? {}, { timeoutMs: opts.timeoutMs });
    } catch (error) {
      const invocationError = error as BundleInvocationError;
      const stepFunctionsError = new Error(
        JSON.stringify({ errorType: invocationError.name, errorMessage: invocationError.message, trace: [] }),
      );
      stepFunctionsError.name = invocationError.name;
      throw stepFunctionsError;
    }
    return { ExecutedVersion: "$LATEST", Payload: (payload ?? null) as JsonValue, StatusCode: 200 };
  };
}

/**
 * A task override that behaves like `arn:aws:states:::dynamodb:updateItem` against a real
 * DynamoDB (dynalite): the state's `Parameters` are the UpdateItem request; a DynamoDB error
 * surfaces as `DynamoDB.<ErrorName>`, the way the optimized integration reports it.
 */
export function dynamoDbUpdateItemTask(client: DynamoDBClient, opts: { failNext?: () => boolean } = {}): (input: JsonValue) => Promise<JsonValue> {
  return async (input) => {
    try {
      if (opts.failNext?.()) throw Object.assign(new Error("Internal server error"), { name: "InternalServerError" });
      await client.send(new UpdateItemCommand(input as unknown as UpdateItemCommandInput));
      return {};
    } catch (error) {
      const stepFunctionsError = new Error((error as Error).message);
      stepFunctionsError.name = `DynamoDB.${(error as Error).name}`;
      throw stepFunctionsError;
    }
  };
}

/** A message recorded by {@link FakeQueue}. */
export interface QueuedMessage {
  messageId: string;
  queueUrl: string;
  /** The body as the queue would store it (Step Functions serializes object bodies to JSON). */
  body: string;
}

/** Records `arn:aws:states:::sqs:sendMessage` tasks as a queue would; can fail sends on demand. */
export class FakeQueue {
  readonly messages: QueuedMessage[] = [];
  private failures = 0;

  /** The next `count` sends fail with `SQS.AmazonSQSException` (a service fault). */
  failNextSends(count: number): void {
    this.failures = count;
  }

  /** Bodies parsed as JSON. */
  bodies<T = Record<string, unknown>>(): T[] {
    return this.messages.map((message) => JSON.parse(message.body) as T);
  }

  /** The task override. */
  readonly sendMessageTask = async (input: JsonValue): Promise<JsonValue> => {
    if (this.failures > 0) {
      this.failures--;
      const error = new Error("We encountered an internal error. Please try again.");
      error.name = "SQS.AmazonSQSException";
      throw error;
    }
    const request = input as { QueueUrl?: string; MessageBody?: JsonValue };
    if (!request.QueueUrl || request.MessageBody === undefined) throw new Error("sendMessage needs QueueUrl and MessageBody");
    const body = typeof request.MessageBody === "string" ? request.MessageBody : JSON.stringify(request.MessageBody);
    const messageId = randomUUID();
    this.messages.push({ messageId, queueUrl: request.QueueUrl, body });
    return { MessageId: messageId, MD5OfMessageBody: createHash("md5").update(body).digest("hex") };
  };
}
