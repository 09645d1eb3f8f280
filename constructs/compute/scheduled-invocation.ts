import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget, type CloudwatchEventTargetRetryPolicy } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { Construct } from "constructs";
import type { PipelineFunction } from "./pipeline-function";

export interface ScheduledInvocationProps {
  /** Name of the schedule rule. */
  readonly ruleName: string;
  readonly description: string;
  /** `rate(...)` or `cron(...)`. */
  readonly scheduleExpression: string;
  /** The function the schedule invokes. */
  readonly fn: PipelineFunction;
  /** Target id on the rule. */
  readonly targetId: string;
  /** Statement id of the Lambda permission. */
  readonly statementId: string;
  /** How EventBridge retries a failed invocation. @default EventBridge's (24 h, 185 attempts) */
  readonly retryPolicy?: CloudwatchEventTargetRetryPolicy;
}

/**
 * Invokes `fn` on a schedule: a default-bus rule, its target, and a Lambda
 * permission for EventBridge limited to that rule (`source_arn`). The
 * resources are created in `scope` with the ids `schedule`, `target` and
 * `invoke-permission`. Returns the rule.
 */
export function scheduledInvocation(scope: Construct, props: ScheduledInvocationProps): CloudwatchEventRule {
  const rule = new CloudwatchEventRule(scope, "schedule", {
    name: props.ruleName,
    description: props.description,
    scheduleExpression: props.scheduleExpression,
    state: "ENABLED",
  });
  new CloudwatchEventTarget(scope, "target", { rule: rule.name, targetId: props.targetId, arn: props.fn.arn, retryPolicy: props.retryPolicy });
  new LambdaPermission(scope, "invoke-permission", {
    statementId: props.statementId,
    action: "lambda:InvokeFunction",
    functionName: props.fn.fn.functionName,
    principal: "events.amazonaws.com",
    sourceArn: rule.arn,
  });
  return rule;
}
