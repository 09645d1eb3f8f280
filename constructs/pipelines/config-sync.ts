import { createHash } from "node:crypto";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Construct } from "constructs";
import type { ConfigSyncPipelineConfig } from "../../config/types";
import { SCALING_DETAIL_TYPES } from "../../functions/config-sync/triggers";
import { syncRoutes } from "../../functions/shared/sync-rules";
import { bundleFunction } from "../../lib/bundling";
import { keyUseVia } from "../../lib/iam";
import { PipelineFunction } from "../compute/pipeline-function";
import { BufferedQueue } from "../messaging/buffered-queue";
import { EventRoute } from "../messaging/event-route";
import type { ExternallySetSecret } from "../security/externally-set-secret";
import { functionBasics, genesysClientSecret, genesysEnvironment, readSecret, type PipelineContext } from "./pipeline-context";

export interface ConfigSyncPipelineProps {
  readonly ctx: PipelineContext;
  readonly config: ConfigSyncPipelineConfig;
}

/** A short stable suffix for rule names (EventBridge allows 64 characters). */
function shortHash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 10);
}

/**
 * AWS capacity -> Genesys routing configuration.
 *
 * Auto Scaling launch/terminate events (default bus) and a reconciliation
 * schedule feed one SQS FIFO queue. Each EventBridge target carries a fixed
 * message group, one per Genesys object (org utilization, a user's
 * utilization, a queue), so read-modify-write cycles on one object never
 * overlap: Genesys PUTs are full replaces without ETags. The config-sync Lambda
 * writes only when the value differs and records each change in an audit table.
 */
export class ConfigSyncPipeline extends Construct {
  public readonly buffer: BufferedQueue;
  public readonly routes: EventRoute[] = [];
  public readonly auditTable: DynamodbTable;
  public readonly syncFunction: PipelineFunction;
  /** This pipeline's Genesys OAuth client (`gcv-<env>/genesys-config-sync`). */
  public readonly genesysSecret: ExternallySetSecret;

  constructor(scope: Construct, id: string, props: ConfigSyncPipelineProps) {
    super(scope, id);
    const { ctx, config } = props;
    const name = `${ctx.prefix}-config-sync`;

    this.buffer = new BufferedQueue(this, "buffer", {
      name,
      fifo: true,
      kmsKeyArn: ctx.kmsKeyArn,
      consumerTimeoutSeconds: config.timeoutSeconds,
      maxReceiveCount: config.maxReceiveCount,
      alarmTopicArn: ctx.alarmTopicArn,
    });

    const routes = syncRoutes(config.rules);
    for (const route of routes) {
      this.routes.push(
        new EventRoute(this, `scaling-${shortHash(route.autoScalingGroupName, route.messageGroupId)}`, {
          ruleName: `${ctx.prefix}-sync-scaling-${shortHash(route.autoScalingGroupName, route.messageGroupId)}`,
          description: `${route.autoScalingGroupName} launches/terminations -> ${route.messageGroupId} (rules: ${route.ruleNames.join(", ")})`.slice(0, 512),
          // Auto Scaling events arrive on the account's default bus.
          eventPattern: {
            source: ["aws.autoscaling"],
            "detail-type": [...SCALING_DETAIL_TYPES],
            detail: { AutoScalingGroupName: [route.autoScalingGroupName] },
          },
          target: this.buffer,
          messageGroupId: route.messageGroupId,
          kmsKeyArn: ctx.kmsKeyArn,
          alarmTopicArn: ctx.alarmTopicArn,
        }),
      );
    }
    // One schedule target per Genesys object: a shared group would let reconciliation race scaling events.
    for (const group of [...new Set(routes.map((r) => r.messageGroupId))].sort()) {
      this.routes.push(
        new EventRoute(this, `reconcile-${shortHash(group)}`, {
          ruleName: `${ctx.prefix}-sync-reconcile-${shortHash(group)}`,
          description: `Drift repair of ${group} every ${config.reconcileEveryMinutes} min`,
          scheduleExpression: config.reconcileEveryMinutes === 1 ? "rate(1 minute)" : `rate(${config.reconcileEveryMinutes} minutes)`,
          target: this.buffer,
          messageGroupId: group,
          kmsKeyArn: ctx.kmsKeyArn,
          alarmTopicArn: ctx.alarmTopicArn,
        }),
      );
    }
    this.buffer.admitEventRules(this.routes.map((r) => r.rule.arn));

    this.auditTable = new DynamodbTable(this, "audit", {
      name: `${name}-audit`,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "targetField",
      rangeKey: "changeId",
      attribute: [
        { name: "targetField", type: "S" },
        { name: "changeId", type: "S" },
      ],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: ctx.kmsKeyArn },
      deletionProtectionEnabled: ctx.env.aws.deletionProtection,
    });

    this.genesysSecret = genesysClientSecret(this, ctx, "config-sync");
    this.syncFunction = new PipelineFunction(this, "sync", {
      functionName: name,
      description: "Keeps Genesys routing configuration in step with AWS capacity; writes only on change",
      packageZip: bundleFunction("config-sync").packageZip,
      ...functionBasics(ctx),
      timeoutSeconds: config.timeoutSeconds,
      memoryMb: config.memoryMb,
      environment: {
        ...genesysEnvironment(ctx, this.genesysSecret.arn),
        SYNC_RULES: JSON.stringify(config.rules),
        AUDIT_TABLE_NAME: this.auditTable.name,
        DRY_RUN: String(config.dryRun),
      },
      statements: [
        readSecret(this.genesysSecret.arn, "ReadOwnGenesysClientSecret"),
        // Describe calls have no resource-level permissions: AWS requires "*".
        { Sid: "CountInServiceInstances", Effect: "Allow", Action: "autoscaling:DescribeAutoScalingGroups", Resource: "*" },
        {
          Sid: "RecordAppliedChanges",
          Effect: "Allow",
          Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
          Resource: this.auditTable.arn,
        },
        keyUseVia("EncryptAuditRecords", ctx.kmsKeyArn, "kms:GenerateDataKey", ctx.region, ["dynamodb"]),
      ],
      vpc: ctx.vpc,
    });
    // FIFO event sources take no batching window.
    this.syncFunction.consume(this.buffer, { ...config, batchWindowSeconds: 0 }, ctx.kmsKeyArn);
  }
}
