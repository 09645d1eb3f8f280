import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Construct } from "constructs";
import type { InteractionPipelineConfig } from "../../config/types";
import { bundleFunction } from "../../lib/bundling";
import { denyInsecureTransport, keyUseVia, LOG_DELIVERY_ACTIONS, policyDocument, serviceTrustPolicy } from "../../lib/iam";
import { PipelineFunction } from "../compute/pipeline-function";
import { executionTimeoutSeconds, interactionMaxReceiveCount } from "../../functions/shared/interaction-backpressure";
import {
  FAILURE_QUEUE_UNAVAILABLE_ERROR,
  interactionStateMachineDefinition,
  SLOT_NOT_RELEASED_ERROR,
} from "../interaction/state-machine-definition";
import { MAX_RETENTION_SECONDS, type BufferedQueue } from "../messaging/buffered-queue";
import type { EventRoute } from "../messaging/event-route";
import { GenesysTopicBuffer } from "../messaging/genesys-topic-buffer";
import { EncryptedLogGroup } from "../observability/encrypted-log-group";
import { thresholdAlarm } from "../observability/metric-alarm";
import type { ExternallySetSecret } from "../security/externally-set-secret";
import { functionBasics, genesysClientSecret, genesysEnvironment, readSecret, type PipelineContext } from "./pipeline-context";

export interface InteractionProcessingPipelineProps {
  readonly ctx: PipelineContext;
  readonly config: InteractionPipelineConfig;
}

/**
 * Conversation events -> queue (the shock absorber) -> dispatcher -> one
 * Step Functions standard execution per event, named from the event so a
 * redelivery cannot start a second one -> processor Lambda (Genesys API) with
 * per-error-class retries; whatever still fails lands in the failure queue
 * with its cause, through the Step Functions SQS integration.
 *
 * Backpressure: the dispatcher starts an execution only when it holds one of
 * `maxRunningExecutions` slots (DynamoDB table `<name>-slots`); the rest of a
 * burst waits in the queue. The workflow releases its slot on every path it
 * controls; FAILED / TIMED_OUT / ABORTED status changes of the workflow come
 * back through the same queue so the dispatcher releases the others.
 */
export class InteractionProcessingPipeline extends Construct {
  public readonly route: EventRoute;
  /** The default-bus rule that brings FAILED, TIMED_OUT and ABORTED executions back to the dispatcher. */
  public readonly endedExecutionsRoute: EventRoute;
  public readonly buffer: BufferedQueue;
  public readonly failureQueue: SqsQueue;
  public readonly dispatcher: PipelineFunction;
  public readonly processor: PipelineFunction;
  /** This pipeline's Genesys OAuth client (`gcv-<env>/genesys-interaction`). */
  public readonly genesysSecret: ExternallySetSecret;
  public readonly stateMachine: SfnStateMachine;
  public readonly stateMachineRole: IamRole;
  public readonly slotsTable: DynamodbTable;

  constructor(scope: Construct, id: string, props: InteractionProcessingPipelineProps) {
    super(scope, id);
    const { ctx, config } = props;
    const name = `${ctx.prefix}-interaction`;

    const workflowName = `${name}-workflow`;
    // Known before the state machine exists, so the status-change rule can name it without a reference cycle.
    const workflowArn = `arn:aws:states:${ctx.region}:${ctx.accountId}:stateMachine:${workflowName}`;
    const intake = new GenesysTopicBuffer(this, "intake", {
      name,
      description: "Genesys conversation lifecycle events to the interaction workflow",
      eventBusName: ctx.eventBusName,
      topics: config.topics,
      // Waiting for a slot counts as a receive: the count must outlast the maximum event age.
      consumer: { ...config, maxReceiveCount: interactionMaxReceiveCount(config.maxEventAgeSeconds, config.maxReceiveCount) },
      // A burst legitimately waits; alarm when waiting has used a quarter of the age budget.
      maxMessageAgeSeconds: Math.floor(config.maxEventAgeSeconds / 4),
      kmsKeyArn: ctx.kmsKeyArn,
      alarmTopicArn: ctx.alarmTopicArn,
      extraRoutes: [
        {
          id: "ended-executions",
          ruleName: `${name}-ended-executions`,
          description: "Interaction workflow executions that ended FAILED, TIMED_OUT or ABORTED: the dispatcher releases their slots",
          eventPattern: {
            source: ["aws.states"],
            "detail-type": ["Step Functions Execution Status Change"],
            detail: { stateMachineArn: [workflowArn], status: ["FAILED", "TIMED_OUT", "ABORTED"] },
          },
        },
      ],
    });
    this.route = intake.route;
    this.endedExecutionsRoute = intake.extraRoutes[0]!;
    this.buffer = intake.buffer;

    this.failureQueue = new SqsQueue(this, "failures", {
      name: `${name}-failures`,
      kmsMasterKeyId: ctx.kmsKeyArn,
      messageRetentionSeconds: MAX_RETENTION_SECONDS,
    });
    new SqsQueuePolicy(this, "failures-policy", {
      queueUrl: this.failureQueue.url,
      policy: policyDocument(denyInsecureTransport(this.failureQueue.arn, "sqs:*")),
    });
    thresholdAlarm(this, "failures-not-empty", {
      alarmName: `${name}-failures-not-empty`,
      description: "Interaction events the workflow could not apply; each message holds the event, error and cause: `npm run ops -- failures list --env <env>`, then `failures retry` (docs/operations.md)",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: this.failureQueue.name },
      statistic: "Maximum",
      threshold: 0,
      alarmTopicArn: ctx.alarmTopicArn,
    });

    this.genesysSecret = genesysClientSecret(this, ctx, "interaction");

    this.slotsTable = new DynamodbTable(this, "slots", {
      name: `${name}-slots`,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pool",
      rangeKey: "slot",
      attribute: [
        { name: "pool", type: "S" },
        { name: "slot", type: "S" },
      ],
      // Like every table: slot items are transient (a holder and a lease), but a restore
      // after an operator mistake or a bad deploy should not need a special case, and
      // continuous backups of a table this small cost next to nothing.
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: ctx.kmsKeyArn },
      deletionProtectionEnabled: ctx.env.aws.deletionProtection,
    });

    this.processor = new PipelineFunction(this, "processor", {
      functionName: `${ctx.prefix}-interaction-processor`,
      description: "Applies one conversation event to Genesys (participant attributes), idempotently",
      packageZip: bundleFunction("interaction-processor").packageZip,
      ...functionBasics(ctx),
      timeoutSeconds: config.processorTimeoutSeconds,
      memoryMb: config.memoryMb,
      environment: {
        ...genesysEnvironment(ctx, this.genesysSecret.arn),
        IDEMPOTENCY_TABLE_NAME: ctx.idempotencyTableName,
        INTERACTION_ATTRIBUTE_PREFIX: config.attributePrefix,
      },
      statements: [
        readSecret(this.genesysSecret.arn, "ReadOwnGenesysClientSecret"),
        {
          Sid: "UseIdempotencyRecords",
          Effect: "Allow",
          Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
          Resource: ctx.idempotencyTableArn,
        },
        keyUseVia("EncryptIdempotencyRecords", ctx.kmsKeyArn, "kms:GenerateDataKey", ctx.region, ["dynamodb"]),
      ],
      vpc: ctx.vpc,
      reservedConcurrency: config.processorConcurrency,
    });

    const executionLogs = new EncryptedLogGroup(this, "execution-logs", {
      name: `/aws/vendedlogs/states/${name}`,
      kmsKeyArn: ctx.kmsKeyArn,
      retentionDays: ctx.env.aws.logRetentionDays,
    });
    this.stateMachineRole = new IamRole(this, "workflow-role", {
      name: `${name}-workflow`,
      description: "Interaction workflow: invoke the processor, release its slot, send failures, write execution logs",
      assumeRolePolicy: serviceTrustPolicy("states.amazonaws.com", ctx.accountId),
    });
    new IamRolePolicy(this, "workflow-policy", {
      role: this.stateMachineRole.id,
      name: "least-privilege",
      policy: policyDocument(
        { Sid: "InvokeTheProcessor", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: [this.processor.arn, `${this.processor.arn}:*`] },
        { Sid: "SendToTheFailureQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: this.failureQueue.arn },
        { Sid: "ReleaseItsSlot", Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: this.slotsTable.arn },
        // The failure queue, execution data and logs are encrypted with the environment key.
        keyUseVia("UseTheEnvironmentKey", ctx.kmsKeyArn, ["kms:GenerateDataKey", "kms:Decrypt"], ctx.region, ["sqs", "states"]),
        {
          // CloudWatch Logs delivery for Step Functions: AWS only accepts "*" for these actions.
          Sid: "DeliverExecutionLogsAwsRequiresWildcardResource",
          Effect: "Allow",
          Action: [...LOG_DELIVERY_ACTIONS],
          Resource: "*",
        },
      ),
    });
    this.stateMachine = new SfnStateMachine(this, "workflow", {
      name: workflowName,
      type: "STANDARD",
      roleArn: this.stateMachineRole.arn,
      definition: JSON.stringify(
        interactionStateMachineDefinition({
          processorFunctionArn: this.processor.arn,
          failureQueueUrl: this.failureQueue.url,
          slotsTableName: this.slotsTable.name,
          // Longer than the function's own timeout, so the function's timeout error is what retries see.
          taskTimeoutSeconds: config.processorTimeoutSeconds + 30,
          maxEventAgeSeconds: executionTimeoutSeconds(config.maxEventAgeSeconds),
        }),
      ),
      // No execution data in the logs: it is the interaction event (customer data). The failure queue
      // keeps each failed event with its error and cause, and the execution history keeps the rest.
      loggingConfiguration: { level: "ERROR", includeExecutionData: false, logDestination: `${executionLogs.arn}:*` },
      encryptionConfiguration: { type: "CUSTOMER_MANAGED_KMS_KEY", kmsKeyId: ctx.kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300 },
      tracingConfiguration: { enabled: false },
    });
    thresholdAlarm(this, "executions-failed", {
      alarmName: `${name}-executions-failed`,
      description: "Interaction workflow executions failed: the event of each is in the failure queue (kept by the workflow, or by the dispatcher from the status change), except SlotNotReleased (applied)",
      namespace: "AWS/States",
      metricName: "ExecutionsFailed",
      dimensions: { StateMachineArn: this.stateMachine.arn },
      statistic: "Sum",
      threshold: 0,
      periodSeconds: 300,
      alarmTopicArn: ctx.alarmTopicArn,
    });

    // Failed executions whose event could not even reach the failure queue, or whose slot was not released.
    for (const [id, error, description] of [
      ["failure-queue-unavailable", FAILURE_QUEUE_UNAVAILABLE_ERROR, "The failure queue refused an event: it is in the failed execution's cause and input; resend it"],
      ["slot-not-released", SLOT_NOT_RELEASED_ERROR, "An applied event's workflow slot could not be released (DynamoDB); the status change or the lease frees it"],
    ] as const) {
      const metricName = `${error}Executions`;
      new CloudwatchLogMetricFilter(this, `${id}-metric`, {
        name: `${name}-${id}`,
        logGroupName: executionLogs.name,
        pattern: `{ $.type = "ExecutionFailed" && $.details.error = "${error}" }`,
        metricTransformation: { name: metricName, namespace: `GenesysVault/${name}`, value: "1", defaultValue: "0" },
      });
      thresholdAlarm(this, id, {
        alarmName: `${name}-${id}`,
        description,
        namespace: `GenesysVault/${name}`,
        metricName,
        dimensions: {},
        statistic: "Sum",
        threshold: 0,
        periodSeconds: 300,
        alarmTopicArn: ctx.alarmTopicArn,
      });
    }

    this.dispatcher = new PipelineFunction(this, "dispatcher", {
      functionName: `${ctx.prefix}-interaction-dispatcher`,
      description: "Starts one workflow execution per interaction event while a slot is free, named from the event",
      packageZip: bundleFunction("dispatcher").packageZip,
      ...functionBasics(ctx),
      timeoutSeconds: config.timeoutSeconds,
      memoryMb: 256,
      environment: {
        STATE_MACHINE_ARN: this.stateMachine.arn,
        SLOTS_TABLE_NAME: this.slotsTable.name,
        MAX_RUNNING_EXECUTIONS: String(config.maxRunningExecutions),
        MAX_EVENT_AGE_SECONDS: String(config.maxEventAgeSeconds),
        GENESYS_REQUESTS_PER_MINUTE: String(config.genesysRequestsPerMinute),
        INTAKE_QUEUE_URL: this.buffer.queue.url,
        DEAD_LETTER_QUEUE_URL: this.buffer.deadLetterQueue.url,
        FAILURE_QUEUE_URL: this.failureQueue.url,
      },
      statements: [
        { Sid: "StartThisWorkflowOnly", Effect: "Allow", Action: "states:StartExecution", Resource: this.stateMachine.arn },
        // Self-test: the workflow is reachable (read-only, this machine only).
        { Sid: "DescribeThisWorkflow", Effect: "Allow", Action: "states:DescribeStateMachine", Resource: this.stateMachine.arn },
        { Sid: "AcquireAndReleaseSlots", Effect: "Allow", Action: ["dynamodb:Query", "dynamodb:UpdateItem"], Resource: this.slotsTable.arn },
        {
          Sid: "DeadLetterAndKeepFailures",
          Effect: "Allow",
          Action: "sqs:SendMessage",
          Resource: [this.buffer.deadLetterQueue.arn, this.failureQueue.arn],
        },
        // Execution input and the messages it sends are encrypted with the environment key (Decrypt comes with consume()).
        keyUseVia("EncryptExecutionInputAndMessages", ctx.kmsKeyArn, "kms:GenerateDataKey", ctx.region, ["states", "sqs"]),
      ],
    });
    this.dispatcher.consume(this.buffer, config, ctx.kmsKeyArn);
  }
}
