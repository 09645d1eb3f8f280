/**
 * A small Amazon SQS fake speaking the JSON 1.0 protocol of the v3 SDK (POST /,
 * `X-Amz-Target: AmazonSQS.<Operation>`), on 127.0.0.1 port 0, for senders only:
 * SendMessage and SendMessageBatch (1-10 entries, unique entry ids, 256 KiB per
 * message, like the service; per-entry failures in `Failed`). Received messages are
 * kept per queue URL. Point functions at it with `AWS_ENDPOINT_URL_SQS=fake.endpoint`.
 *
 * @example
 * const sqs = await startSqsFake();
 * const url = sqs.queueUrl("archiver");
 * ... // run the sender with ARCHIVER_QUEUE_URL=url
 * expect(sqs.messages(url).map((m) => JSON.parse(m.body).id)).toEqual([...]);
 */
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** A message the fake accepted. */
export interface SqsFakeMessage {
  messageId: string;
  body: string;
}

/** A running SQS fake. */
export interface SqsFake {
  endpoint: string;
  /** The URL of a queue named `name` (queues exist on first use). */
  queueUrl(name: string): string;
  /** Messages sent to `queueUrl`, in arrival order. */
  messages(queueUrl: string): SqsFakeMessage[];
  /** Operations received, e.g. [{ operation: "SendMessageBatch", entries: 10 }]. */
  calls: Array<{ operation: string; entries: number }>;
  /** The next `count` sends answer 500 InternalError (whole request). */
  failNext(count: number): void;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 262_144;

/** Starts the fake. Close it in afterAll. */
export async function startSqsFake(): Promise<SqsFake> {
  const queues = new Map<string, SqsFakeMessage[]>();
  const calls: SqsFake["calls"] = [];
  let failures = 0;
  let endpoint = "";

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const operation = String(req.headers["x-amz-target"] ?? "").replace(/^AmazonSQS\./, "");
      let input: Record<string, any>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        return reply(400, { __type: "com.amazonaws.sqs#InvalidRequest", message: "body is not JSON" });
      }
      const entries: Array<{ Id?: string; MessageBody?: string }> = operation === "SendMessageBatch" ? (input.Entries ?? []) : [input];
      calls.push({ operation, entries: entries.length });
      if (failures > 0) {
        failures--;
        return reply(500, { __type: "com.amazonaws.sqs#InternalError", message: "scripted failure" });
      }
      const queue = queues.get(String(input.QueueUrl));
      if (!queue) return reply(400, { __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "The specified queue does not exist." });
      if (operation === "SendMessage") {
        if (typeof input.MessageBody !== "string" || !input.MessageBody) return reply(400, { __type: "com.amazonaws.sqs#InvalidParameterValue", message: "MessageBody is required" });
        const message = { messageId: randomUUID(), body: input.MessageBody };
        queue.push(message);
        return reply(200, { MessageId: message.messageId, MD5OfMessageBody: md5(message.body) });
      }
      if (operation !== "SendMessageBatch") return reply(400, { __type: "com.amazonaws.sqs#UnsupportedOperation", message: `unsupported operation ${operation}` });
      if (entries.length === 0) return reply(400, { __type: "com.amazonaws.sqs#EmptyBatchRequest", message: "There should be at least one SendMessageBatchRequestEntry in the request." });
      if (entries.length > 10) return reply(400, { __type: "com.amazonaws.sqs#TooManyEntriesInBatchRequest", message: "Maximum number of entries per request are 10." });
      if (new Set(entries.map((e) => e.Id)).size !== entries.length) return reply(400, { __type: "com.amazonaws.sqs#BatchEntryIdsNotDistinct", message: "Two or more batch entries in the request have the same Id." });
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const entry of entries) {
        const body = entry.MessageBody ?? "";
        if (!body || Buffer.byteLength(body) > MAX_MESSAGE_BYTES) {
          Failed.push({ Id: entry.Id, SenderFault: true, Code: "InvalidParameterValue", Message: "message body empty or too long" });
          continue;
        }
        const message = { messageId: randomUUID(), body };
        queue.push(message);
        Successful.push({ Id: entry.Id, MessageId: message.messageId, MD5OfMessageBody: md5(body) });
      }
      return reply(200, { Successful, Failed });
    });
    function reply(status: number, body: Record<string, unknown>) {
      const headers: Record<string, string> = { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": randomUUID() };
      if (status >= 400) headers["x-amzn-query-error"] = `${String(body.__type).split("#")[1]};Sender`;
      res.writeHead(status, headers).end(JSON.stringify(body));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    queueUrl(name) {
      const url = `${endpoint}/123456789012/${name}`;
      if (!queues.has(url)) queues.set(url, []);
      return url;
    },
    messages: (url) => queues.get(url) ?? [],
    calls,
    failNext(count) {
      failures += count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}
