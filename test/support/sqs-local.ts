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
 *   `batchItemFailures` (ReportBatchItemFailures), and leaves the others to reappear.
 *
 * Time can be scaled: `secondMs` is how many real milliseconds one queue second lasts
 * (visibility timeouts, and the age the mapping reports through SentTimestamp), so a
 * benchmark can run hours of queue time in minutes.
 */
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { SqsBatchResponse, SqsEvent, SqsRecord } from "../../functions/shared/lambda-types";

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

/** One queue of the stand-in. */
export class LocalQueue {
  readonly messages = new Map<string, StoredMessage>();
  /** Every message ever sent, in order (bodies and attributes), including those deleted since. */
  readonly sent: Array<{ messageId: string; body: string; attributes: Record<string, string> }> = [];
  /** Messages moved to the dead-letter queue by the redrive policy. */
  redriven = 0;
  private failures = 0;
  private failureName = "SQS.AmazonSQSException";
  /** Min-heap of (visibleAt, messageId); entries whose time no longer matches the message are stale and skipped. */
  private readonly heap: Array<{ at: number; id: string }> = [];
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

  /** Bodies of every message sent, parsed as JSON. */
  bodies<T = Record<string, unknown>>(): T[] {
    return this.sent.map((m) => JSON.parse(m.body) as T);
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

  /** Receives up to `max` visible messages, applying the redrive policy. */
  receive(max: number, now = Date.now()): StoredMessage[] {
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
      message.visibleAt = now + this.visibilityTimeoutSeconds * this.clock.secondMs;
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
    heap.push({ at, id });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  private pop(): { at: number; id: string } | undefined {
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
        if (l < heap.length && heap[l]!.at < heap[smallest]!.at) smallest = l;
        if (r < heap.length && heap[r]!.at < heap[smallest]!.at) smallest = r;
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
}

/** A running stand-in. */
export interface SqsLocal {
  endpoint: string;
  /** Creates a queue (name unique). */
  createQueue(name: string, opts?: { visibilityTimeoutSeconds?: number; redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number } }): LocalQueue;
  /** API calls by operation. */
  calls: Map<string, number>;
  close(): Promise<void>;
}

/** Starts the stand-in. Close it in afterAll. */
export async function startSqsLocal(options: SqsLocalOptions = {}): Promise<SqsLocal> {
  const clock = { secondMs: options.secondMs ?? 1000 };
  const queues = new Map<string, LocalQueue>();
  const calls = new Map<string, number>();
  let port = 0;

  const byUrl = (url: unknown): LocalQueue => {
    const queue = typeof url === "string" ? queues.get(url.split("/").pop()!) : undefined;
    if (!queue) throw Object.assign(new Error(`The specified queue does not exist: ${String(url)}`), { code: "QueueDoesNotExist" });
    return queue;
  };

  const operations: Record<string, (request: Record<string, any>) => Record<string, unknown>> = {
    SendMessage: (r) => {
      const attributes = Object.fromEntries(Object.entries((r.MessageAttributes ?? {}) as Record<string, { StringValue?: string }>).map(([k, v]) => [k, String(v.StringValue ?? "")]));
      const messageId = byUrl(r.QueueUrl).send(String(r.MessageBody), attributes);
      return { MessageId: messageId, MD5OfMessageBody: createHash("md5").update(String(r.MessageBody)).digest("hex") };
    },
    // As the service: 1-10 entries with distinct ids; an empty or over-256 KiB body fails that entry only.
    SendMessageBatch: (r) => {
      const queue = byUrl(r.QueueUrl);
      const entries = (r.Entries ?? []) as Array<{ Id: string; MessageBody?: string }>;
      if (entries.length === 0) throw Object.assign(new Error("There should be at least one SendMessageBatchRequestEntry in the request."), { code: "EmptyBatchRequest" });
      if (entries.length > 10) throw Object.assign(new Error("Maximum number of entries per request are 10."), { code: "TooManyEntriesInBatchRequest" });
      if (new Set(entries.map((e) => e.Id)).size !== entries.length) throw Object.assign(new Error("Two or more batch entries in the request have the same Id."), { code: "BatchEntryIdsNotDistinct" });
      const Successful: Array<{ Id: string; MessageId: string; MD5OfMessageBody: string }> = [];
      const Failed: Array<{ Id: string; Code: string; SenderFault: boolean; Message: string }> = [];
      for (const entry of entries) {
        const body = entry.MessageBody ?? "";
        if (!body || Buffer.byteLength(body) > MAX_MESSAGE_BYTES) {
          Failed.push({ Id: entry.Id, Code: "InvalidParameterValue", SenderFault: true, Message: "message body empty or over 256 KiB" });
          continue;
        }
        Successful.push({ Id: entry.Id, MessageId: queue.send(body), MD5OfMessageBody: createHash("md5").update(body).digest("hex") });
      }
      return { Successful, Failed };
    },
    ChangeMessageVisibility: (r) => {
      if (!byUrl(r.QueueUrl).changeVisibility(String(r.ReceiptHandle), Number(r.VisibilityTimeout))) {
        throw Object.assign(new Error("The receipt handle is not valid"), { code: "ReceiptHandleIsInvalid" });
      }
      return {};
    },
    ChangeMessageVisibilityBatch: (r) => {
      const queue = byUrl(r.QueueUrl);
      const Successful: Array<{ Id: string }> = [];
      const Failed: Array<{ Id: string; Code: string; SenderFault: boolean; Message: string }> = [];
      for (const entry of r.Entries as Array<{ Id: string; ReceiptHandle: string; VisibilityTimeout: number }>) {
        if (queue.changeVisibility(entry.ReceiptHandle, entry.VisibilityTimeout)) Successful.push({ Id: entry.Id });
        else Failed.push({ Id: entry.Id, Code: "ReceiptHandleIsInvalid", SenderFault: true, Message: "The receipt handle is not valid" });
      }
      return { Successful, Failed };
    },
    GetQueueAttributes: (r) => {
      const queue = byUrl(r.QueueUrl);
      const visible = queue.visibleCount();
      return {
        Attributes: {
          ApproximateNumberOfMessages: String(visible),
          ApproximateNumberOfMessagesNotVisible: String(queue.depth - visible),
          ApproximateNumberOfMessagesDelayed: "0",
        },
      };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const operation = String(req.headers["x-amz-target"] ?? "").replace(/^AmazonSQS\./, "");
      calls.set(operation, (calls.get(operation) ?? 0) + 1);
      let status = 200;
      let body: Record<string, unknown>;
      try {
        const handler = operations[operation];
        if (!handler) throw Object.assign(new Error(`${operation} is not supported by the stand-in`), { code: "UnsupportedOperation" });
        body = handler(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"));
      } catch (error) {
        const code = (error as { code?: string }).code;
        status = code ? 400 : 500;
        body = { __type: `com.amazonaws.sqs#${code ?? "InternalError"}`, message: (error as Error).message };
      }
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "content-length": String(Buffer.byteLength(text)), "x-amzn-requestid": randomUUID() }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    calls,
    createQueue(name, opts = {}) {
      const queue = new LocalQueue(name, `${endpoint}/123456789012/${name}`, `arn:aws:sqs:us-east-1:123456789012:${name}`, clock, opts.visibilityTimeoutSeconds ?? 30, opts.redrive);
      queues.set(name, queue);
      return queue;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
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
