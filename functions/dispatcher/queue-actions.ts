/**
 * What the dispatcher does to SQS messages besides letting the event source mapping delete
 * them: make a waiting message invisible for a computed time (so it is not redelivered in a
 * tight loop and its receive count grows slowly), move a message to the dead-letter queue at
 * once (malformed, or older than the maximum event age), put an event in the failure queue
 * (its execution timed out or was aborted), and estimate the backlog.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";

let client: SQSClient | undefined;
const sqs = () => (client ??= new SQSClient({}));

/** Makes each message invisible for its own number of seconds (10 per call, the SQS batch limit). Returns the ids SQS refused. */
export async function deferMessages(queueUrl: string, entries: Array<{ id: string; receiptHandle: string; seconds: number }>): Promise<string[]> {
  const refused: string[] = [];
  for (let i = 0; i < entries.length; i += 10) {
    const chunk = entries.slice(i, i + 10);
    const result = await sqs().send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((e, n) => ({ Id: `m${n}`, ReceiptHandle: e.receiptHandle, VisibilityTimeout: e.seconds })),
      }),
    );
    for (const failed of result.Failed ?? []) refused.push(chunk[Number(failed.Id?.slice(1))]!.id);
  }
  return refused;
}

/** Sends a message body as is to `queueUrl`, with string attributes (`reason`, ...). */
export async function sendWithReason(queueUrl: string, body: string, attributes: Record<string, string>): Promise<void> {
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([key, value]) => [key, { DataType: "String", StringValue: value.slice(0, 1024) }]),
      ),
    }),
  );
}

let backlogCache: { queueUrl: string; at: number; value: number } | undefined;

/**
 * Messages in the queue (visible + in flight + delayed), at most a second old; undefined
 * when SQS cannot say (the wait then falls back to its receive-count floor).
 */
export async function approximateBacklog(queueUrl: string, now = Date.now()): Promise<number | undefined> {
  if (backlogCache && backlogCache.queueUrl === queueUrl && now - backlogCache.at < 1000) return backlogCache.value;
  try {
    const { Attributes = {} } = await sqs().send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
      }),
    );
    const value =
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
    backlogCache = { queueUrl, at: now, value };
    return value;
  } catch {
    return undefined;
  }
}
