/**
 * An SQS stand-in for tests and benchmarks: a real HTTP server (127.0.0.1, port 0) speaking the
 * AWS JSON 1.0 protocol the SDK v3 SQS client uses (point functions at it with
 * AWS_ENDPOINT_URL_SQS), in-memory standard queues with the documented semantics the
 * interaction pipeline relies on, and a Lambda event source mapping that feeds a queue to a
 * function:
 *
 * - a received message is invisible for the queue's visibility timeout, and each receive
 *   increments ApproximateReceiveCount, including receives whose message is handed back on
 *   purpose (batch item failure, ChangeMessageVisibility);
 * - with a redrive policy, a message whose receive count would exceed maxReceiveCount moves
 *   to the dead-letter queue instead of being delivered;
 * - SendMessage and SendMessageBatch (1-10 entries with distinct ids; a per-entry failure for an
 *   empty or over-256 KiB body);
 * - ChangeMessageVisibility(Batch) needs the current receipt handle (a stale one is refused
 *   per entry with ReceiptHandleIsInvalid), accepts 0-43200 s and counts from now;
 * - the event source mapping deletes the records of a batch that are not in
 *   `batchItemFailures` (ReportBatchItemFailures), and leaves the others to reappear;
 * - for the operations CLI: GetQueueUrl, GetQueueAttributes (with QueueArn), ReceiveMessage
 *   (1-10 messages, system attributes only when asked for), DeleteMessage, and
 *   StartMessageMoveTask / ListMessageMoveTasks from a dead-letter queue (a task reports
 *   RUNNING once, then COMPLETED).
 *
 * Errors come in the service's shape (`__type`, and `x-amzn-query-error` since SQS is
 * query-compatible), e.g. QueueDoesNotExist with `AWS.SimpleQueueService.NonExistentQueue`;
 * `deny(operation)` answers AccessDenied as IAM does.
 *
 * Time can be scaled: `secondMs` is how many real milliseconds one queue second lasts
 * (visibility timeouts, and the age the mapping reports through SentTimestamp), so a
 * benchmark can run hours of queue time in minutes.
 */
import { createHash, randomUUID } from "node:crypto";
import type { SqsBatchResponse, SqsEvent, SqsRecord } from "../../functions/shared/lambda-types";
import { AwsServiceError, startJsonFake, type JsonFake } from "./aws-json-fake";

/** The service's limit on one message body. */
const MAX_MESSAGE_BYTES = 262_144;

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

interface StoredMessage {
  messageId: string;
  body: string;
  attributes: Record<string, string>;
  /** Real ms. */
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  receiptHandle?: string;
}

/** Heap order: earlier visibility first, then earlier push. */
function before(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** One queue of the stand-in. */
export class LocalQueue {
  readonly messages = new Map<string, StoredMessage>();
  /** Every message ever sent, in order (bodies and attributes), including those deleted since. */
  readonly sent: Array<{ messageId: string; body: string; attributes: Record<string, string> }> = [];
  /** Messages moved to the dead-letter queue by the redrive policy. */
  redriven = 0;
  private failures = 0;
  private refused: ((body: string) => boolean) | undefined;
  private failureName = "SQS.AmazonSQSException";
  /**
   * Min-heap of (visibleAt, push order, messageId): messages visible at the same time come out
   * oldest first, close to the best-effort order of a standard queue and deterministic for tests.
   * Entries whose time no longer matches the message are stale and skipped.
   */
  private readonly heap: Array<{ at: number; seq: number; id: string }> = [];
  private pushes = 0;
  private readonly byReceipt = new Map<string, string>();

  constructor(
    readonly name: string,
    readonly url: string,
    readonly arn: string,
    private readonly clock: { secondMs: number },
    readonly visibilityTimeoutSeconds: number,
    readonly redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number },
  ) {}

  /** The next `count` sends fail (as `SQS.AmazonSQSException` through Step Functions, a 500 through the API). */
  failNextSends(count: number): void {
    this.failures = count;
  }

  /**
   * From now on, SendMessageBatch fails every entry whose body matches (as the service reports a
   * per-entry server error: `InternalError`, SenderFault false) while the other entries are stored.
   * `undefined` stops refusing.
   */
  refuseEntries(match: ((body: string) => boolean) | undefined): void {
    this.refused = match;
  }

  /** Whether SendMessageBatch refuses this entry (see {@link refuseEntries}). */
  refuses(body: string): boolean {
    return this.refused?.(body) ?? false;
  }

  /** Bodies of every message sent, parsed as JSON. */
  bodies<T = Record<string, unknown>>(): T[] {
    return this.sent.map((m) => JSON.parse(m.body) as T);
  }

  /** Bodies of the messages stored now (visible or in flight), oldest first. */
  storedBodies(): string[] {
    return [...this.messages.values()].map((m) => m.body);
  }

  /** Adds a message; throws when a failure was requested. */
  send(body: string, attributes: Record<string, string> = {}): string {
    if (this.failures > 0) {
      this.failures--;
      const error = new Error("We encountered an internal error. Please try again.");
      error.name = this.failureName;
      throw error;
    }
    const messageId = randomUUID();
    const now = Date.now();
    this.messages.set(messageId, { messageId, body, attributes, sentAt: now, visibleAt: now, receiveCount: 0 });
    this.push(now, messageId);
    this.sent.push({ messageId, body, attributes });
    return messageId;
  }

  /** Messages stored (visible or in flight). */
  get depth(): number {
    return this.messages.size;
  }

  /** Visible now. */
  visibleCount(now = Date.now()): number {
    let n = 0;
    for (const m of this.messages.values()) if (m.visibleAt <= now) n++;
    return n;
  }

  /** When the next message becomes visible (real ms), or undefined when the queue is empty. */
  nextVisibleAt(): number | undefined {
    while (this.heap.length && this.messages.get(this.heap[0]!.id)?.visibleAt !== this.heap[0]!.at) this.pop();
    return this.heap[0]?.at;
  }

  /** Receives up to `max` visible messages, applying the redrive policy; `visibilitySeconds` overrides the queue's. */
  receive(max: number, now = Date.now(), visibilitySeconds = this.visibilityTimeoutSeconds): StoredMessage[] {
    const batch: StoredMessage[] = [];
    while (batch.length < max) {
      const at = this.nextVisibleAt();
      if (at === undefined || at > now) break;
      const message = this.messages.get(this.pop()!.id)!;
      if (this.redrive && message.receiveCount >= this.redrive.maxReceiveCount) {
        this.forget(message);
        this.redriven++;
        this.redrive.deadLetterQueue.send(message.body, { ...message.attributes, redrivenFrom: this.name });
        continue;
      }
      if (message.receiptHandle) this.byReceipt.delete(message.receiptHandle);
      message.receiveCount++;
      message.receiptHandle = randomUUID();
      this.byReceipt.set(message.receiptHandle, message.messageId);
      message.visibleAt = now + visibilitySeconds * this.clock.secondMs;
      this.push(message.visibleAt, message.messageId);
      batch.push(message);
    }
    return batch;
  }

  /** Deletes by receipt handle (a stale handle is ignored, like SQS). */
  delete(receiptHandle: string): void {
    const message = this.messages.get(this.byReceipt.get(receiptHandle) ?? "");
    if (message) this.forget(message);
  }

  /** Moves every stored message to `destination` as new messages (a message move task); returns how many. */
  moveAllTo(destination: LocalQueue): number {
    const moved = [...this.messages.values()];
    for (const message of moved) {
      this.forget(message);
      destination.send(message.body, message.attributes);
    }
    return moved.length;
  }

  /** ChangeMessageVisibility: false when the receipt handle is not current. */
  changeVisibility(receiptHandle: string, seconds: number): boolean {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200) throw Object.assign(new Error(`VisibilityTimeout ${seconds}`), { code: "InvalidParameterValue" });
    const message = this.messages.get(this.byReceipt.get(receiptHandle) ?? "");
    if (!message) return false;
    message.visibleAt = Date.now() + seconds * this.clock.secondMs;
    this.push(message.visibleAt, message.messageId);
    return true;
  }

  private forget(message: StoredMessage): void {
    this.messages.delete(message.messageId);
    if (message.receiptHandle) this.byReceipt.delete(message.receiptHandle);
  }

  private push(at: number, id: string): void {
    const heap = this.heap;
    heap.push({ at, seq: this.pushes++, id });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  private pop(): { at: number; seq: number; id: string } | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && before(heap[l]!, heap[smallest]!)) smallest = l;
        if (r < heap.length && before(heap[r]!, heap[smallest]!)) smallest = r;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
        i = smallest;
      }
    }
    return top;
  }

  /** The Step Functions `arn:aws:states:::sqs:sendMessage` task override (sends to this queue). */
  readonly sendMessageTask = async (input: JsonValue): Promise<JsonValue> => {
    const request = input as { QueueUrl?: string; MessageBody?: JsonValue };
    if (!request.QueueUrl || request.MessageBody === undefined) throw new Error("sendMessage needs QueueUrl and MessageBody");
    const body = typeof request.MessageBody === "string" ? request.MessageBody : JSON.stringify(request.MessageBody);
    const messageId = this.send(body);
    return { MessageId: messageId, MD5OfMessageBody: createHash("md5").update(body).digest("hex") };
  };

  /** The record Lambda's event source mapping builds for a received message; SentTimestamp reflects the scaled age. */
  toRecord(message: StoredMessage, now = Date.now()): SqsRecord {
    const scaledAgeMs = ((now - message.sentAt) / this.clock.secondMs) * 1000;
    return {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle!,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(Math.round(now - scaledAgeMs)),
        ApproximateFirstReceiveTimestamp: String(now),
      },
      messageAttributes: {},
      eventSource: "aws:sqs",
      eventSourceARN: this.arn,
      awsRegion: "us-east-1",
    };
  }
}

/** Options of {@link startSqsLocal}. */
export interface SqsLocalOptions {
  /** Real ms per queue second. @default 1000 */
  secondMs?: number;
  /** Account and region of queue URLs and ARNs. @default 123456789012, us-east-1 */
  accountId?: string;
  region?: string;
  /** Keep every call's input in `calls` (off for benchmarks: `counts` still counts). @default true */
  recordCalls?: boolean;
}

/** A running stand-in: the JSON-protocol endpoint (calls, counts, deny) and its queues. */
export interface SqsLocal extends JsonFake {
  /** Creates a queue (name unique); with `redrive`, `deadLetterQueue` becomes its DLQ. */
  createQueue(name: string, opts?: { visibilityTimeoutSeconds?: number; redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number } }): LocalQueue;
  /** The queue called `name`. */
  queue(name: string): LocalQueue;
}

interface MoveTask {
  handle: string;
  source: LocalQueue;
  destination: LocalQueue;
  moved: number;
  listed: number;
  startedAt: number;
}

const queueDoesNotExist = () => new AwsServiceError(400, "QueueDoesNotExist", "The specified queue does not exist.", "AWS.SimpleQueueService.NonExistentQueue");
const invalidParameter = (message: string) => new AwsServiceError(400, "InvalidParameterValueException", message, "InvalidParameterValue");
const md5 = (body: string) => createHash("md5").update(body, "utf8").digest("hex");

/** Starts the stand-in. Close it in afterAll. */
export async function startSqsLocal(options: SqsLocalOptions = {}): Promise<SqsLocal> {
  const clock = { secondMs: options.secondMs ?? 1000 };
  const accountId = options.accountId ?? "123456789012";
  const region = options.region ?? "us-east-1";
  const queues = new Map<string, LocalQueue>();
  /** Dead-letter queue -> the queue whose redrive policy names it. */
  const sourceOf = new Map<LocalQueue, LocalQueue>();
  const tasks: MoveTask[] = [];

  const byUrl = (url: unknown): LocalQueue => {
    const queue = [...queues.values()].find((q) => q.url === url);
    if (!queue) throw queueDoesNotExist();
    return queue;
  };
  const byArn = (arn: unknown): LocalQueue => {
    const queue = [...queues.values()].find((q) => q.arn === arn);
    if (!queue) throw new AwsServiceError(400, "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.");
    return queue;
  };
  const changeVisibility = (queue: LocalQueue, receiptHandle: string, seconds: number): boolean => {
    try {
      return queue.changeVisibility(receiptHandle, seconds);
    } catch {
      throw invalidParameter(`Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`);
    }
  };

  const fake = await startJsonFake(
    { targetPrefix: "AmazonSQS", jsonVersion: "1.0", errorNamespace: "com.amazonaws.sqs", queryCompatible: true, recordCalls: options.recordCalls },
    {
      GetQueueUrl: ({ QueueName, QueueOwnerAWSAccountId }) => {
        const queue = queues.get(String(QueueName));
        if (!queue || (QueueOwnerAWSAccountId && QueueOwnerAWSAccountId !== accountId)) throw queueDoesNotExist();
        return { QueueUrl: queue.url };
      },
      GetQueueAttributes: ({ QueueUrl }) => {
        const queue = byUrl(QueueUrl);
        const visible = queue.visibleCount();
        return {
          Attributes: {
            QueueArn: queue.arn,
            ApproximateNumberOfMessages: String(visible),
            ApproximateNumberOfMessagesNotVisible: String(queue.depth - visible),
            ApproximateNumberOfMessagesDelayed: "0",
          },
        };
      },
      SendMessage: ({ QueueUrl, MessageBody, MessageAttributes }) => {
        const attributes = Object.fromEntries(Object.entries((MessageAttributes ?? {}) as Record<string, { StringValue?: string }>).map(([k, v]) => [k, String(v.StringValue ?? "")]));
        const messageId = byUrl(QueueUrl).send(String(MessageBody), attributes);
        return { MessageId: messageId, MD5OfMessageBody: md5(String(MessageBody)) };
      },
      // As the service: 1-10 entries with distinct ids; an empty or over-256 KiB body fails that entry only.
      SendMessageBatch: ({ QueueUrl, Entries }) => {
        const queue = byUrl(QueueUrl);
        const entries = (Entries ?? []) as Array<{ Id: string; MessageBody?: string }>;
        if (entries.length === 0) throw new AwsServiceError(400, "EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.", "AWS.SimpleQueueService.EmptyBatchRequest");
        if (entries.length > 10) throw new AwsServiceError(400, "TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10.", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest");
        if (new Set(entries.map((e) => e.Id)).size !== entries.length) {
          throw new AwsServiceError(400, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct");
        }
        const Successful: Array<{ Id: string; MessageId: string; MD5OfMessageBody: string }> = [];
        const Failed: Array<{ Id: string; Code: string; SenderFault: boolean; Message: string }> = [];
        for (const entry of entries) {
          const body = entry.MessageBody ?? "";
          if (!body || Buffer.byteLength(body) > MAX_MESSAGE_BYTES) {
            Failed.push({ Id: entry.Id, Code: "InvalidParameterValue", SenderFault: true, Message: "message body empty or over 256 KiB" });
            continue;
          }
          if (queue.refuses(body)) {
            Failed.push({ Id: entry.Id, Code: "InternalError", SenderFault: false, Message: "We encountered an internal error. Please try again." });
            continue;
          }
          Successful.push({ Id: entry.Id, MessageId: queue.send(body), MD5OfMessageBody: md5(body) });
        }
        return { Successful, Failed };
      },
      ReceiveMessage: ({ QueueUrl, MaxNumberOfMessages, VisibilityTimeout, AttributeNames, MessageSystemAttributeNames }) => {
        const queue = byUrl(QueueUrl);
        const max = MaxNumberOfMessages ?? 1;
        if (max < 1 || max > 10) throw invalidParameter("Value for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10.");
        const now = Date.now();
        // System attributes come back only when asked for, as from the service.
        const asked = new Set<string>([...(AttributeNames ?? []), ...(MessageSystemAttributeNames ?? [])]);
        const wanted = (name: string) => asked.has("All") || asked.has(name);
        return {
          Messages: queue.receive(max, now, VisibilityTimeout ?? queue.visibilityTimeoutSeconds).map((m) => {
            const attributes = { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) };
            const returned = Object.fromEntries(Object.entries(attributes).filter(([name]) => wanted(name)));
            return { MessageId: m.messageId, ReceiptHandle: m.receiptHandle, Body: m.body, MD5OfBody: md5(m.body), ...(Object.keys(returned).length ? { Attributes: returned } : {}) };
          }),
        };
      },
      // A stale receipt handle succeeds without deleting (the message was received again), as in SQS.
      DeleteMessage: ({ QueueUrl, ReceiptHandle }) => {
        const queue = byUrl(QueueUrl);
        if (!ReceiptHandle) throw new AwsServiceError(400, "ReceiptHandleIsInvalid", `The input receipt handle "${ReceiptHandle}" is not a valid receipt handle.`, "ReceiptHandleIsInvalid");
        queue.delete(String(ReceiptHandle));
        return {};
      },
      ChangeMessageVisibility: ({ QueueUrl, ReceiptHandle, VisibilityTimeout }) => {
        if (!changeVisibility(byUrl(QueueUrl), String(ReceiptHandle), Number(VisibilityTimeout))) {
          throw new AwsServiceError(400, "ReceiptHandleIsInvalid", "The receipt handle is not valid", "ReceiptHandleIsInvalid");
        }
        return {};
      },
      ChangeMessageVisibilityBatch: ({ QueueUrl, Entries }) => {
        const queue = byUrl(QueueUrl);
        const Successful: Array<{ Id: string }> = [];
        const Failed: Array<{ Id: string; Code: string; SenderFault: boolean; Message: string }> = [];
        for (const entry of Entries as Array<{ Id: string; ReceiptHandle: string; VisibilityTimeout: number }>) {
          if (changeVisibility(queue, entry.ReceiptHandle, entry.VisibilityTimeout)) Successful.push({ Id: entry.Id });
          else Failed.push({ Id: entry.Id, Code: "ReceiptHandleIsInvalid", SenderFault: true, Message: "The receipt handle is not valid" });
        }
        return { Successful, Failed };
      },
      StartMessageMoveTask: ({ SourceArn, DestinationArn }) => {
        const source = byArn(SourceArn);
        const redriveSource = sourceOf.get(source);
        if (!redriveSource) throw invalidParameter("Source queue must be configured as a Dead Letter Queue.");
        const destination = DestinationArn ? byArn(DestinationArn) : redriveSource;
        if (tasks.some((t) => t.source === source && t.listed < 1)) {
          throw new AwsServiceError(400, "UnsupportedOperation", "There is already a task running. Only one active task is allowed for a source queue arn at a given time.", "AWS.SimpleQueueService.UnsupportedOperation");
        }
        const task = { handle: randomUUID(), source, destination, moved: source.moveAllTo(destination), listed: 0, startedAt: Date.now() };
        tasks.push(task);
        return { TaskHandle: task.handle };
      },
      ListMessageMoveTasks: ({ SourceArn }) => {
        const source = byArn(SourceArn);
        const Results = tasks
          .filter((t) => t.source === source)
          .reverse()
          .map((t) => {
            const running = t.listed++ < 1;
            return {
              TaskHandle: running ? t.handle : undefined,
              Status: running ? "RUNNING" : "COMPLETED",
              SourceArn: t.source.arn,
              DestinationArn: t.destination.arn,
              ApproximateNumberOfMessagesMoved: running ? Math.floor(t.moved / 2) : t.moved,
              ApproximateNumberOfMessagesToMove: t.moved,
              StartedTimestamp: t.startedAt,
            };
          });
        return { Results };
      },
    },
  );

  return Object.assign(fake, {
    createQueue(name: string, opts: Parameters<SqsLocal["createQueue"]>[1] = {}) {
      const queue = new LocalQueue(name, `${fake.endpoint}/${accountId}/${name}`, `arn:aws:sqs:${region}:${accountId}:${name}`, clock, opts.visibilityTimeoutSeconds ?? 30, opts.redrive);
      queues.set(name, queue);
      if (opts.redrive) sourceOf.set(opts.redrive.deadLetterQueue, queue);
      return queue;
    },
    queue(name: string) {
      const queue = queues.get(name);
      if (!queue) throw new Error(`sqs-local: no queue ${name}`);
      return queue;
    },
  });
}

/** Something that runs the consumer Lambda. */
export interface SqsConsumer {
  invoke<R = unknown>(event: unknown): Promise<R>;
}

/** A running event source mapping. */
export interface EventSourceMapping {
  /** Invocations so far. */
  invocations(): number;
  /** Resolves when the queue is empty and no invocation is running (checked every `pollMs`). */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Polls `queue` like Lambda's SQS event source mapping with ReportBatchItemFailures: one poller
 * per consumer (its maximum concurrency; each consumer is one warm container), batches of up
 * to `batchSize`.
 */
export function startEventSourceMapping(queue: LocalQueue, consumers: SqsConsumer[], opts: { batchSize?: number; pollMs?: number } = {}): EventSourceMapping {
  const batchSize = opts.batchSize ?? 10;
  const pollMs = opts.pollMs ?? 5;
  let stopped = false;
  let running = 0;
  let invocations = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const poller = async (consumer: SqsConsumer) => {
    while (!stopped) {
      const batch = queue.receive(batchSize);
      if (!batch.length) {
        // Long polling: wake when the next message becomes visible (or soon, for new sends).
        const next = queue.nextVisibleAt();
        await sleep(next === undefined ? pollMs : Math.max(1, Math.min(pollMs * 10, next - Date.now())));
        continue;
      }
      running++;
      invocations++;
      try {
        const now = Date.now();
        const event: SqsEvent = { Records: batch.map((m) => queue.toRecord(m, now)) };
        const response = await consumer.invoke<SqsBatchResponse>(event);
        const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        for (const record of event.Records) if (!failed.has(record.messageId)) queue.delete(record.receiptHandle);
      } catch {
        // A failed invocation: the whole batch reappears after its visibility timeout.
      } finally {
        running--;
      }
    }
  };
  const pollers = consumers.map((consumer) => poller(consumer));
  return {
    invocations: () => invocations,
    async drained() {
      while (queue.depth > 0 || running > 0) await sleep(pollMs * 4);
    },
    async stop() {
      stopped = true;
      await Promise.all(pollers);
    },
  };
}
