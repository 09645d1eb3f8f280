import type { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { Construct } from "constructs";
import type { VaultReconcilerConfig, VaultWriterAuth } from "../../config/types";
import { BUSINESS_METRICS, metricsNamespace } from "../../functions/shared/metric-names";
import { bundleFunction } from "../../lib/bundling";
import { keyUseVia } from "../../lib/iam";
import { PipelineFunction } from "../compute/pipeline-function";
import { scheduledInvocation } from "../compute/scheduled-invocation";
import type { BufferedQueue } from "../messaging/buffered-queue";
import { thresholdAlarm } from "../observability/metric-alarm";
import { functionBasics, genesysEnvironment, getWebIdentityTokenForAzure, readSecret, type PipelineContext } from "./pipeline-context";

export interface VaultReconcilerProps {
  readonly ctx: PipelineContext;
  readonly config: VaultReconcilerConfig;
  /** The archiver's queue: missing conversations are re-enqueued here (send only). */
  readonly archiverQueue: BufferedQueue;
  /**
   * ARN of the secret of the reconciler's list-only vault credential (existence, never
   * content): its coordinates (`federated`) or a list-only SAS (`sas`).
   */
  readonly listerSecretArn: string;
  /** How the reconciler authenticates to the vault (the environment's `azure.writerAuth`). */
  readonly writerAuth: VaultWriterAuth;
  /** The transcript-vault pipeline's Genesys OAuth client, whose role also grants the analytics query. */
  readonly genesysSecretArn: string;
}

/**
 * The scheduled completeness check of the vault: a Lambda in the private subnets
 * (the Azure firewall admits only the NAT EIPs) run by an EventBridge schedule. It
 * may read the Genesys and lister secrets, send to the archiver's queue, keep its run
 * checkpoints in the idempotency table and invoke itself (a run too long for one
 * invocation continues in the next), nothing else. An alarm fires when a conversation
 * is still missing after its backfill.
 */
export class VaultReconciler extends Construct {
  public readonly fn: PipelineFunction;
  public readonly schedule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: VaultReconcilerProps) {
    super(scope, id);
    const { ctx, config } = props;
    const name = `${ctx.prefix}-vault-reconciler`;

    this.fn = new PipelineFunction(this, "function", {
      functionName: name,
      description: "Checks that every ended MESSAGE conversation has a vault manifest; re-enqueues the missing ones",
      packageZip: bundleFunction("vault-reconciler").packageZip,
      ...functionBasics(ctx),
      timeoutSeconds: config.timeoutSeconds,
      memoryMb: config.memoryMb,
      // One run at a time: two would spend the Genesys budget twice and enqueue the same backfills.
      reservedConcurrency: 1,
      environment: {
        ...genesysEnvironment(ctx, props.genesysSecretArn),
        AZURE_VAULT_LISTER_SECRET_ARN: props.listerSecretArn,
        AZURE_VAULT_AUTH: props.writerAuth,
        ARCHIVER_QUEUE_URL: props.archiverQueue.queue.url,
        DRY_RUN: String(config.dryRun),
        RECONCILE_WINDOW_HOURS: String(config.windowHours),
        RECONCILE_SETTLE_MINUTES: String(config.settleMinutes),
        RECONCILE_SLICE_MINUTES: String(config.sliceMinutes),
        RECONCILE_MAX_CONVERSATION_DAYS: String(config.maxConversationDays),
        RECONCILE_REQUESTS_PER_MINUTE: String(config.requestsPerMinute),
        RECONCILE_PAGE_SIZE: String(config.pageSize),
        TIME_GUARD_MS: "30000",
        IDEMPOTENCY_TABLE_NAME: ctx.idempotencyTableName,
      },
      statements: [
        readSecret(props.genesysSecretArn, "ReadGenesysClientSecret"),
        readSecret(props.listerSecretArn, "ReadVaultListerSecret"),
        ...(props.writerAuth === "federated" ? [getWebIdentityTokenForAzure()] : []),
        { Sid: "BackfillIntoArchiverQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: props.archiverQueue.queue.arn },
        // The queue is encrypted with the environment key: sending needs a data key.
        {
          Sid: "EncryptBackfills",
          Effect: "Allow",
          Action: ["kms:GenerateDataKey", "kms:Decrypt"],
          Resource: ctx.kmsKeyArn,
          Condition: { StringEquals: { "kms:ViaService": [`sqs.${ctx.region}.amazonaws.com`] } },
        },
        // Run checkpoints (items `vault-reconciler#<run>`): read, create, replace; never scan or delete.
        { Sid: "KeepRunCheckpoints", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: ctx.idempotencyTableArn },
        keyUseVia("EncryptRunCheckpoints", ctx.kmsKeyArn, ["kms:GenerateDataKey", "kms:Decrypt"], ctx.region, ["dynamodb"]),
        // A run that does not fit in one invocation hands over to an asynchronous invocation of this function only.
        { Sid: "ContinueRun", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${name}` },
      ],
      vpc: ctx.vpc,
    });

    this.schedule = scheduledInvocation(this, {
      ruleName: name,
      description: `Vault reconciliation: ${config.schedule}`,
      scheduleExpression: config.schedule,
      fn: this.fn,
      targetId: "reconciler",
      statementId: "ScheduleInvokesReconciler",
      retryPolicy: { maximumEventAgeInSeconds: 3_600, maximumRetryAttempts: 3 },
    });

    thresholdAlarm(this, "missing-after-backfill", {
      alarmName: `${name}-missing-after-backfill`,
      description: "Conversations are still missing from the vault after their backfill was archived: see the reconciler's and archiver's ERROR logs",
      namespace: metricsNamespace(ctx.env.name),
      metricName: BUSINESS_METRICS.missingAfterBackfill,
      dimensions: { service: name },
      statistic: "Maximum",
      threshold: 0,
      periodSeconds: 3_600,
      alarmTopicArn: ctx.alarmTopicArn,
    });
  }
}
