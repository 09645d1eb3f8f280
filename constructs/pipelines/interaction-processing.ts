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
import { interactionStateMachineDefinition } from "../interaction/state-machine-definition";
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
 */
export class InteractionProcessingPipeline extends Construct {
  public readonly route: EventRoute;
  public readonly buffer: BufferedQueue;
  public readonly failureQueue: SqsQueue;
  public readonly dispatcher: PipelineFunction;
  public readonly processor: PipelineFunction;
  /** This pipeline's Genesys OAuth client (`gcv-<env>/genesys-interaction`). */
  public readonly genesysSecret: ExternallySetSecret;
  public readonly stateMachine: SfnStateMachine;
  public readonly stateMachineRole: IamRole;

  constructor(scope: Construct, id: string, props: InteractionProcessingPipelineProps) {
    super(scope, id);
    const { ctx, config } = props;
    const name = `${ctx.prefix}-interaction`;

    const intake = new GenesysTopicBuffer(this, "intake", {
      name,
      description: "Genesys conversation lifecycle events to the interaction workflow",
      eventBusName: ctx.eventBusName,
      topics: config.topics,
      consumer: config,
      kmsKeyArn: ctx.kmsKeyArn,
      alarmTopicArn: ctx.alarmTopicArn,
    });
    this.route = intake.route;
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
      description: "Interaction workflow: invoke the processor, send failures, write execution logs",
      assumeRolePolicy: serviceTrustPolicy("states.amazonaws.com", ctx.accountId),
    });
    new IamRolePolicy(this, "workflow-policy", {
      role: this.stateMachineRole.id,
      name: "least-privilege",
      policy: policyDocument(
        { Sid: "InvokeTheProcessor", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: [this.processor.arn, `${this.processor.arn}:*`] },
        { Sid: "SendToTheFailureQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: this.failureQueue.arn },
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
      name: `${name}-workflow`,
      type: "STANDARD",
      roleArn: this.stateMachineRole.arn,
      definition: JSON.stringify(
        interactionStateMachineDefinition({
          processorFunctionArn: this.processor.arn,
          failureQueueUrl: this.failureQueue.url,
          // Longer than the function's own timeout, so the function's timeout error is what retries see.
          taskTimeoutSeconds: config.processorTimeoutSeconds + 30,
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
      description: "Interaction workflow executions failed (their events are in the failure queue)",
      namespace: "AWS/States",
      metricName: "ExecutionsFailed",
      dimensions: { StateMachineArn: this.stateMachine.arn },
      statistic: "Sum",
      threshold: 0,
      periodSeconds: 300,
      alarmTopicArn: ctx.alarmTopicArn,
    });

    this.dispatcher = new PipelineFunction(this, "dispatcher", {
      functionName: `${ctx.prefix}-interaction-dispatcher`,
      description: "Starts one workflow execution per interaction event, named from the event",
      packageZip: bundleFunction("dispatcher").packageZip,
      ...functionBasics(ctx),
      timeoutSeconds: config.timeoutSeconds,
      memoryMb: 256,
      environment: { STATE_MACHINE_ARN: this.stateMachine.arn },
      statements: [
        { Sid: "StartThisWorkflowOnly", Effect: "Allow", Action: "states:StartExecution", Resource: this.stateMachine.arn },
        // Execution input is encrypted with the environment key.
        keyUseVia("EncryptExecutionInput", ctx.kmsKeyArn, "kms:GenerateDataKey", ctx.region, ["states"]),
      ],
    });
    this.dispatcher.consume(this.buffer, config, ctx.kmsKeyArn);
  }
}
