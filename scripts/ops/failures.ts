/**
 * `ops failures list|retry`: the interaction failure queue, where the workflow
 * keeps each event it could not apply with its error and cause.
 *
 * retry starts one new execution per failure record and deletes the record only
 * after its execution has started. The execution name is derived from the
 * event's business identity (as the dispatcher's) plus the failure record's id,
 * so a retry interrupted between start and delete maps to the same name next
 * time and is not started twice; the processor's idempotency is keyed by the
 * business identity, so an event is never applied twice.
 */
import { createHash } from "node:crypto";
import { DeleteMessageCommand, ReceiveMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { stateMachineArnOf } from "../../constructs/observability/ops-inventory";
import { parseEnvelope } from "../../functions/shared/envelope";
import { executionNameFor, interactionEventIdentity } from "../../functions/shared/interaction-event";
import { awsFailure, call, type OpsContext } from "./context";
import { confirmed } from "./confirm";
import { queueState, type QueueState } from "./queues";

/** Step Functions' limit on execution names. */
const MAX_NAME = 80;

/** One failure record as the workflow's SendToFailureQueue state writes it. */
export interface FailureRecord {
  messageId: string;
  receiptHandle: string;
  event: unknown;
  error?: string;
  cause?: string;
  executionId?: string;
  /** Set when the record is not a failure record (it is kept, never deleted). */
  problem?: string;
  /** Name of the retry execution (valid records only). */
  retryName?: string;
}

/** The retry's execution name: the event's business name, then `-r` and a hash of the failure record's id. */
export function retryExecutionName(event: unknown, failureMessageId: string): string {
  const base = executionNameFor(interactionEventIdentity(parseEnvelope(event)));
  const suffix = `-r${createHash("sha256").update(failureMessageId).digest("hex").slice(0, 8)}`;
  const hashStart = base.lastIndexOf("-");
  // Keep the business hash whole; shorten the readable prefix if needed.
  const readable = base.slice(0, hashStart).slice(0, MAX_NAME - (base.length - hashStart) - suffix.length);
  return `${readable}${base.slice(hashStart)}${suffix}`;
}

function parseRecord(m: Message): FailureRecord {
  const record: FailureRecord = { messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, event: undefined };
  try {
    const body = JSON.parse(m.Body ?? "") as Record<string, unknown>;
    Object.assign(record, { event: body.event, error: body.error, cause: body.cause, executionId: body.executionId });
    record.retryName = retryExecutionName(body.event, record.messageId);
  } catch (error) {
    record.problem = `not a failure record of the workflow (${(error as Error).message.slice(0, 120)})`;
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
  const count = Math.min(queue.visible, ctx.args.max);
  if (ctx.args.dryRun) {
    const records = await receive(ctx, queue, count, 30);
    for (const r of records) ctx.io.out(r.problem ? `  would skip ${describe(r)}` : `  would start ${r.retryName} for ${describe(r)}`);
    ctx.io.out("Dry run: nothing was started or deleted.");
    return 0;
  }
  if (!(await confirmed(ctx, `Start a new workflow execution for up to ${count} failed event(s) of ${queue.name}, deleting each record once its execution has started?`))) return 1;

  // Hidden long enough to start and delete them; an interrupted run leaves them to reappear.
  const records = await receive(ctx, queue, count, 300);
  const stateMachineArn = stateMachineArnOf(inv);
  let started = 0;
  let skipped = 0;
  for (const [i, r] of records.entries()) {
    if (r.problem) {
      skipped++;
      ctx.io.out(`  [${i + 1}/${records.length}] kept ${describe(r)}`);
      continue;
    }
    try {
      await ctx.aws.sfn.send(new StartExecutionCommand({ stateMachineArn, name: r.retryName, input: JSON.stringify(r.event) }));
    } catch (error) {
      // Started by an earlier, interrupted retry of this very record: only its delete is missing.
      if ((error as Error).name !== "ExecutionAlreadyExists") throw awsFailure(error, "states:StartExecution", stateMachineArn);
    }
    await call("sqs:DeleteMessage", queue.name, () => ctx.aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: r.receiptHandle })));
    started++;
    ctx.io.out(`  [${i + 1}/${records.length}] started ${r.retryName}`);
  }
  ctx.io.out(`Done: ${started} retried, ${skipped} kept. Follow them with \`npm run ops -- status --env ${inv.environment}\`; a retry that fails again returns to ${queue.name}.`);
  return skipped ? 1 : 0;
}
