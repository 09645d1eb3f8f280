/**
 * `ops failures list|retry`: the interaction failure queue, where the workflow
 * keeps each event it could not apply with its error and cause.
 *
 * retry puts each failure record's event back on the interaction queue as a retry message
 * (functions/shared/interaction-retry.ts) and deletes the record only after SQS accepted the
 * message. The retry then takes the normal path: the dispatcher waits for a workflow slot
 * (retries respect the running-execution limit however many there are) and starts the
 * execution with the workflow's input. Its name is the event's business name plus a hash of
 * the failure record's id: not refused as a duplicate of the failed execution, and the same
 * when a run interrupted between send and delete sends the record again, so that starts one
 * execution; the processor's idempotency is keyed by the business identity, so an event is
 * never applied twice. A retry that fails again comes back to the failure queue as a new record.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { parseEnvelope } from "../../functions/shared/envelope";
import { executionNameFor, interactionEventIdentity } from "../../functions/shared/interaction-event";
import { retryExecutionName, retryMessageBody } from "../../functions/shared/interaction-retry";
import { call, OpsError, type OpsContext } from "./context";
import { confirmed } from "./confirm";
import { queueState, type QueueState } from "./queues";

/** One failure record as the workflow's SendToFailureQueue state (or the dispatcher) writes it. */
export interface FailureRecord {
  messageId: string;
  receiptHandle: string;
  event: unknown;
  error?: string;
  cause?: string;
  executionId?: string;
  /** Set when the record cannot be retried (it is kept, never deleted). */
  problem?: string;
  /** Name of the retry's execution (valid records only). */
  retryName?: string;
}

/** The execution name a retry of `event` from the failure record `failureMessageId` gets. */
export function failureRetryName(event: unknown, failureMessageId: string): string {
  return retryExecutionName(executionNameFor(interactionEventIdentity(parseEnvelope(event))), failureMessageId);
}

function parseRecord(m: Message): FailureRecord {
  const record: FailureRecord = { messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, event: undefined };
  try {
    const body = JSON.parse(m.Body ?? "") as Record<string, unknown>;
    Object.assign(record, { event: body.event, error: body.error, cause: body.cause, executionId: body.executionId });
  } catch (error) {
    record.problem = `not a failure record of the workflow (${(error as Error).message.slice(0, 120)})`;
    return record;
  }
  try {
    record.retryName = failureRetryName(record.event, record.messageId);
  } catch (error) {
    const note = record.event === null || record.event === undefined ? "it holds no event" : (error as Error).message.slice(0, 120);
    record.problem = `cannot be retried: ${note}${record.executionId ? ` (execution ${record.executionId})` : ""}`;
  }
  return record;
}

/** Receives up to `max` records, hiding them for `visibilitySeconds`. */
async function receive(ctx: OpsContext, queue: QueueState, max: number, visibilitySeconds: number): Promise<FailureRecord[]> {
  const records: FailureRecord[] = [];
  while (records.length < max) {
    const { Messages = [] } = await call("sqs:ReceiveMessage", queue.name, () =>
      ctx.aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: Math.min(10, max - records.length), VisibilityTimeout: visibilitySeconds, WaitTimeSeconds: 0 })),
    );
    if (!Messages.length) break;
    records.push(...Messages.map(parseRecord));
  }
  return records;
}

function describe(r: FailureRecord): string {
  if (r.problem) return `${r.messageId}: ${r.problem}`;
  const e = r.event as { id?: string; detail?: { eventBody?: { conversationId?: string } } };
  const cause = (r.cause ?? "").replace(/\s+/g, " ").slice(0, 160);
  return `${r.messageId}: event ${e?.id ?? "?"}, conversation ${e?.detail?.eventBody?.conversationId ?? "?"}: ${r.error ?? "?"}${cause ? `: ${cause}` : ""}`;
}

export async function failuresList(ctx: OpsContext): Promise<number> {
  const queue = await queueState(ctx, ctx.inventory.interactionWorkflow.failureQueue);
  if (queue.visible === 0) {
    ctx.io.out(`${queue.name} is empty: no failed interaction events.`);
    return 0;
  }
  // Read-only: records become visible again after 30 s; nothing is deleted.
  const records = await receive(ctx, queue, ctx.args.max, 30);
  ctx.io.out(`${queue.visible} failed event(s) in ${queue.name}; showing ${records.length} (hidden from other readers for 30 s):`);
  for (const r of records) ctx.io.out(`  ${describe(r)}`);
  return 0;
}

export async function failuresRetry(ctx: OpsContext): Promise<number> {
  const inv = ctx.inventory;
  const queue = await queueState(ctx, inv.interactionWorkflow.failureQueue);
  if (queue.visible === 0) {
    ctx.io.out(`${queue.name} is empty: nothing to retry.`);
    return 0;
  }
  const intakeName = inv.pipelines.find((p) => p.id === "interaction")?.queue;
  if (!intakeName) throw new OpsError(`the synthesized stack of ${inv.environment} has no interaction pipeline queue to retry into`, 2);
  const intake = await queueState(ctx, intakeName);
  const count = Math.min(queue.visible, ctx.args.max);
  if (ctx.args.dryRun) {
    const records = await receive(ctx, queue, count, 30);
    for (const r of records) ctx.io.out(r.problem ? `  would keep ${describe(r)}` : `  would queue ${r.retryName} for ${describe(r)}`);
    ctx.io.out("Dry run: nothing was sent or deleted.");
    return 0;
  }
  if (!(await confirmed(ctx, `Put up to ${count} failed event(s) of ${queue.name} back on ${intake.name}, deleting each record once its event is queued?`))) return 1;

  // Hidden long enough to send and delete them; an interrupted run leaves them to reappear.
  const records = await receive(ctx, queue, count, 300);
  let queued = 0;
  let kept = 0;
  for (const [i, r] of records.entries()) {
    if (r.problem) {
      kept++;
      ctx.io.out(`  [${i + 1}/${records.length}] kept ${describe(r)}`);
      continue;
    }
    // The record goes only once SQS holds its event; a failed send throws and leaves it (and the rest) in the failure queue.
    await call("sqs:SendMessage", intake.name, () => ctx.aws.sqs.send(new SendMessageCommand({ QueueUrl: intake.url, MessageBody: retryMessageBody(r.event, r.messageId) })));
    await call("sqs:DeleteMessage", queue.name, () => ctx.aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: r.receiptHandle })));
    queued++;
    ctx.io.out(`  [${i + 1}/${records.length}] queued ${r.retryName}`);
  }
  ctx.io.out(
    `Done: ${queued} queued for retry, ${kept} kept. Each starts when a workflow slot is free (execution name ending in -r<hash>); ` +
      `follow them with \`npm run ops -- status --env ${inv.environment}\`. A retry that fails again returns to ${queue.name}.`,
  );
  return kept ? 1 : 0;
}
