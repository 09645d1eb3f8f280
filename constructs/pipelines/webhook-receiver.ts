import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Construct } from "constructs";
import type { WebhookPipelineConfig } from "../../config/types";
import { bundleFunction } from "../../lib/bundling";
import { keyUseVia } from "../../lib/iam";
import { PipelineFunction } from "../compute/pipeline-function";
import { EncryptedLogGroup } from "../observability/encrypted-log-group";
import { thresholdAlarm } from "../observability/metric-alarm";
import { ExternallySetSecret } from "../security/externally-set-secret";
import { functionBasics, readSecret, type PipelineContext } from "./pipeline-context";

export interface WebhookReceiverProps {
  readonly ctx: PipelineContext;
  readonly config: WebhookPipelineConfig;
}

/** The one route Genesys calls. */
export const WEBHOOK_ROUTE = "POST /genesys/events";

/**
 * Genesys -> AWS: an HTTP API route (throttled, access-logged) that a Genesys
 * Process Automation workflow's data action calls with a shared secret in a
 * header. The receiver authenticates in constant time, validates, drops stale
 * and out-of-order events with a conditional write per resource, and applies
 * the configured, bounded action.
 */
export class WebhookReceiver extends Construct {
  public readonly api: Apigatewayv2Api;
  public readonly stage: Apigatewayv2Stage;
  public readonly receiver: PipelineFunction;
  public readonly stateTable: DynamodbTable;
  public readonly sharedSecret: ExternallySetSecret;
  /** `https://<api>.execute-api.<region>.amazonaws.com/genesys/events` */
  public readonly endpointUrl: string;

  constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    const { ctx, config } = props;
    const name = `${ctx.prefix}-webhook`;

    this.sharedSecret = new ExternallySetSecret(this, "shared-secret", {
      name: `${ctx.prefix}/webhook-shared-secret`,
      description: 'Shared secret Genesys sends in the webhook header, as JSON {"sharedSecret", "previousSharedSecret"?}; set outside Terraform',
      kmsKeyArn: ctx.kmsKeyArn,
      recoveryWindowInDays: ctx.env.aws.secretRecoveryWindowDays,
      deployerRoleArns: ctx.env.aws.deployerRoleArns,
      planRoleArns: ctx.env.aws.planRoleArns,
    });
    this.stateTable = new DynamodbTable(this, "state", {
      name: `${name}-state`,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "resourceKey",
      attribute: [{ name: "resourceKey", type: "S" }],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: ctx.kmsKeyArn },
      deletionProtectionEnabled: ctx.env.aws.deletionProtection,
    });

    const functionName = `${name}-receiver`;
    const actionTables = [...new Set(config.actions.map((a) => a.tableName))].sort();
    this.receiver = new PipelineFunction(this, "receiver", {
      functionName,
      description: "Authenticates Genesys webhook calls and applies the configured, bounded AWS change once per event",
      packageZip: bundleFunction("webhook-receiver").packageZip,
      ...functionBasics(ctx),
      timeoutSeconds: config.timeoutSeconds,
      memoryMb: config.memoryMb,
      environment: {
        WEBHOOK_SECRET_ARN: this.sharedSecret.arn,
        WEBHOOK_SECRET_HEADER: config.secretHeaderName,
        WEBHOOK_MAX_BODY_BYTES: String(config.maxBodyBytes),
        WEBHOOK_MAX_CLOCK_SKEW_SECONDS: String(config.maxClockSkewSeconds),
        WEBHOOK_ACTIONS: JSON.stringify(config.actions),
        WEBHOOK_STATE_TABLE_NAME: this.stateTable.name,
        // A crashed claim must outlive any running invocation before another may take it.
        WEBHOOK_CLAIM_LEASE_SECONDS: String(2 * config.timeoutSeconds + 10),
      },
      statements: [
        readSecret(this.sharedSecret.arn, "ReadWebhookSharedSecret"),
        { Sid: "OrderEventsPerResource", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: this.stateTable.arn },
        keyUseVia("EncryptEventState", ctx.kmsKeyArn, "kms:GenerateDataKey", ctx.region, ["dynamodb"]),
        ...(actionTables.length
          ? [
              // Capacity changes are one UpdateTable call setting ProvisionedThroughput, on the
              // configured tables only. Application Auto Scaling would need this same UpdateTable
              // (it validates its caller holds it) plus CloudWatch alarm actions: see docs/security.md.
              {
                Sid: "SetCapacityOfTheConfiguredTables",
                Effect: "Allow" as const,
                Action: ["dynamodb:DescribeTable", "dynamodb:UpdateTable"],
                Resource: actionTables.map((t) => `arn:${ctx.partition}:dynamodb:${ctx.region}:${ctx.accountId}:table/${t}`),
              },
              // What the tables consume: capacity is never set below it. GetMetricData has no resource-level permissions.
              { Sid: "ReadTableConsumptionAwsRequiresWildcardResource", Effect: "Allow" as const, Action: "cloudwatch:GetMetricData", Resource: "*" },
            ]
          : []),
      ],
    });

    this.api = new Apigatewayv2Api(this, "api", {
      name,
      protocolType: "HTTP",
      description: "Genesys Cloud workflow data actions call POST /genesys/events",
    });
    const integration = new Apigatewayv2Integration(this, "integration", {
      apiId: this.api.id,
      integrationType: "AWS_PROXY",
      integrationUri: this.receiver.fn.invokeArn,
      payloadFormatVersion: "2.0",
      timeoutMilliseconds: Math.min(30_000, (config.timeoutSeconds + 1) * 1000),
    });
    const route = new Apigatewayv2Route(this, "route", {
      apiId: this.api.id,
      routeKey: WEBHOOK_ROUTE,
      target: `integrations/${integration.id}`,
    });
    const accessLogs = new EncryptedLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${name}`,
      kmsKeyArn: ctx.kmsKeyArn,
      retentionDays: ctx.env.aws.logRetentionDays,
    });
    this.stage = new Apigatewayv2Stage(this, "stage", {
      apiId: this.api.id,
      name: "$default",
      autoDeploy: true,
      defaultRouteSettings: {
        throttlingRateLimit: config.throttleRateLimit,
        throttlingBurstLimit: config.throttleBurstLimit,
        detailedMetricsEnabled: true,
      },
      accessLogSettings: {
        destinationArn: accessLogs.arn,
        // No headers: the shared secret travels in one and must never be logged.
        format: JSON.stringify({
          requestId: "$context.requestId",
          ip: "$context.identity.sourceIp",
          requestTime: "$context.requestTime",
          routeKey: "$context.routeKey",
          status: "$context.status",
          responseLength: "$context.responseLength",
          integrationError: "$context.integrationErrorMessage",
        }),
      },
      dependsOn: [route],
    });
    new LambdaPermission(this, "invoke-permission", {
      statementId: "HttpApiInvokesReceiver",
      action: "lambda:InvokeFunction",
      functionName: this.receiver.fn.functionName,
      principal: "apigateway.amazonaws.com",
      // Only this API's one route may invoke the receiver.
      sourceArn: `${this.api.executionArn}/*/POST/genesys/events`,
    });
    thresholdAlarm(this, "server-errors", {
      alarmName: `${name}-5xx`,
      description: "Webhook calls answered 5xx: Genesys will retry, but check the receiver",
      namespace: "AWS/ApiGateway",
      metricName: "5xx",
      dimensions: { ApiId: this.api.id, Stage: "$default" },
      statistic: "Sum",
      threshold: 0,
      periodSeconds: 300,
      alarmTopicArn: ctx.alarmTopicArn,
    });
    this.endpointUrl = `${this.api.apiEndpoint}/genesys/events`;
  }
}
