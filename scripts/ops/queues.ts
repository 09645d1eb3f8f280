/** Queue lookups shared by the commands: URL, ARN and depth by name. */
import { GetQueueAttributesCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import type { OpsInventory } from "../../constructs/observability/ops-inventory";
import { call, type OpsContext } from "./context";

export interface QueueState {
  name: string;
  url: string;
  arn: string;
  visible: number;
  inFlight: number;
}

/** URL, ARN and message counts of one queue of the environment's account. */
export async function queueState(ctx: OpsContext, name: string): Promise<QueueState> {
  const { QueueUrl } = await call("sqs:GetQueueUrl", name, () =>
    ctx.aws.sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: ctx.inventory.accountId })),
  );
  const { Attributes = {} } = await call("sqs:GetQueueAttributes", name, () =>
    ctx.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] })),
  );
  return {
    name,
    url: QueueUrl!,
    arn: Attributes.QueueArn!,
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

export type QueueKind = "buffer" | "dead-letter" | "delivery DLQ" | "failures";

/** Every queue of the environment with what it is, in display order. */
export function allQueues(inv: OpsInventory): Array<{ name: string; kind: QueueKind; pipeline: string }> {
  return [
    ...inv.pipelines.flatMap((p) => [
      { name: p.queue, kind: "buffer" as const, pipeline: p.id },
      { name: p.deadLetterQueue, kind: "dead-letter" as const, pipeline: p.id },
      ...p.deliveryDeadLetterQueues.map((name) => ({ name, kind: "delivery DLQ" as const, pipeline: p.id })),
    ]),
    { name: inv.interactionWorkflow.failureQueue, kind: "failures", pipeline: "interaction" },
  ];
}
