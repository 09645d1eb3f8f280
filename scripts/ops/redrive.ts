/**
 * `ops redrive <queue>`: moves a pipeline's dead-letter queue back into its queue
 * with SQS StartMessageMoveTask (SQS moves the messages itself; this command
 * receives and deletes nothing), after showing the count and asking.
 */
import { ListMessageMoveTasksCommand, StartMessageMoveTaskCommand } from "@aws-sdk/client-sqs";
import { call, OpsError, sleep, type OpsContext } from "./context";
import { confirmed } from "./confirm";
import { queueState } from "./queues";

export async function redrive(ctx: OpsContext): Promise<number> {
  const inv = ctx.inventory;
  const wanted = ctx.args.queue!;
  const pipeline = inv.pipelines.find((p) => p.id === wanted || p.deadLetterQueue === wanted);
  if (!pipeline) {
    const delivery = inv.pipelines.find((p) => p.deliveryDeadLetterQueues.includes(wanted));
    if (delivery) {
      throw new OpsError(
        `${wanted} holds events EventBridge could not deliver, which SQS cannot move back (it is not the DLQ of a queue). ` +
          (delivery.eventBusName ? `Every one of them is in the archive: replay the period with \`npm run ops -- replay --pipeline ${delivery.id} --env ${inv.environment} --from <first> --to <last>\`.` : `The ${delivery.id} pipeline reconciles on its schedule, which repairs what these events would have changed.`),
        2,
      );
    }
    if (wanted === inv.interactionWorkflow.failureQueue) throw new OpsError(`${wanted} is the interaction failure queue: use \`npm run ops -- failures list|retry --env ${inv.environment}\``, 2);
    throw new OpsError(`unknown queue "${wanted}": one of ${inv.pipelines.map((p) => p.id).join(", ")} (or the name of their dead-letter queue)`, 2);
  }

  const dlq = await queueState(ctx, pipeline.deadLetterQueue);
  const target = await queueState(ctx, pipeline.queue);
  if (dlq.visible === 0) {
    ctx.io.out(`${dlq.name} is empty${dlq.inFlight ? ` (${dlq.inFlight} message(s) in flight: someone is reading it)` : ""}: nothing to redrive.`);
    return 0;
  }
  ctx.io.out(`${dlq.visible} message(s) in ${dlq.name} -> ${target.name} (which holds ${target.visible} now).`);
  if (ctx.args.dryRun) {
    ctx.io.out("Dry run: nothing was moved.");
    return 0;
  }
  if (!(await confirmed(ctx, `Move ${dlq.visible} message(s) from ${dlq.name} back to ${target.name}?`))) return 1;

  await call("sqs:StartMessageMoveTask", dlq.name, () => ctx.aws.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: target.arn })));
  for (;;) {
    const { Results = [] } = await call("sqs:ListMessageMoveTasks", dlq.name, () => ctx.aws.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 1 })));
    const task = Results[0];
    if (!task) throw new OpsError(`the move task of ${dlq.name} is not listed: check the SQS console`, 1);
    ctx.io.out(`  ${task.Status}: ${task.ApproximateNumberOfMessagesMoved ?? 0} of ${task.ApproximateNumberOfMessagesToMove ?? "?"} moved`);
    if (task.Status === "COMPLETED") break;
    if (task.Status === "FAILED" || task.Status === "CANCELLED") throw new OpsError(`the move task ${task.Status.toLowerCase()}: ${task.FailureReason ?? "no reason given"}; messages not moved stay in ${dlq.name}`, 1);
    await sleep(ctx.pollIntervalMs);
  }
  ctx.io.out(`Done: ${dlq.name} moved back to ${target.name}. Watch it with \`npm run ops -- status --env ${inv.environment}\`.`);
  return 0;
}
