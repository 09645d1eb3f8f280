import type { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";
import { BUSINESS_METRICS, metricsNamespace } from "../../functions/shared/metric-names";
import { bundleFunction } from "../../lib/bundling";
import { PipelineFunction } from "../compute/pipeline-function";
import { scheduledInvocation } from "../compute/scheduled-invocation";
import { functionBasics, readSecret, type PipelineContext } from "../pipelines/pipeline-context";

export interface VaultCredentialExpiryMonitorProps {
  readonly ctx: PipelineContext;
  /** ARN of the secret holding the vault writer SAS and its `expiresOn`. */
  readonly vaultSecretArn: string;
  /** Alarm when fewer days than this are left. */
  readonly warningDays: number;
  /** How often the expiry is read. @default rate(1 hour) */
  readonly scheduleExpression?: string;
}

/** The alarm looks at 3-hour windows: with hourly runs one late EMF line never makes a gap. */
const ALARM_PERIOD_SECONDS = 3 * 3600;

/**
 * Makes the expiry of the vault writer SAS loud: a scheduled function publishes
 * the days left from the secret's `expiresOn`, and an alarm fires when fewer than
 * `warningDays` remain, or when no value arrives at all (missing data breaches:
 * an unreadable or undelivered secret is as urgent as an expiring one).
 *
 * Only meaningful while the vault writer uses a SAS; a stack whose writer uses a
 * federated identity simply does not create this construct.
 */
export class VaultCredentialExpiryMonitor extends Construct {
  public readonly monitor: PipelineFunction;
  public readonly schedule: CloudwatchEventRule;
  public readonly alarm: CloudwatchMetricAlarm;
  public readonly warningDays: number;

  constructor(scope: Construct, id: string, props: VaultCredentialExpiryMonitorProps) {
    super(scope, id);
    this.warningDays = props.warningDays;
    const { ctx } = props;
    const functionName = `${ctx.prefix}-credential-expiry`;

    this.monitor = new PipelineFunction(this, "monitor", {
      functionName,
      description: "Publishes the days left on the vault writer credential (from the secret's expiresOn)",
      packageZip: bundleFunction("credential-expiry").packageZip,
      ...functionBasics(ctx),
      timeoutSeconds: 30,
      memoryMb: 128,
      environment: { AZURE_VAULT_SECRET_ARN: props.vaultSecretArn },
      statements: [readSecret(props.vaultSecretArn, "ReadVaultWriterSecretExpiry")],
    });

    this.schedule = scheduledInvocation(this, {
      ruleName: functionName,
      description: "Reads the vault writer credential's expiry",
      scheduleExpression: props.scheduleExpression ?? "rate(1 hour)",
      fn: this.monitor,
      targetId: "monitor",
      statementId: "ScheduleInvokesMonitor",
    });

    this.alarm = new CloudwatchMetricAlarm(this, "expiring", {
      alarmName: `${ctx.prefix}-vault-credential-expiring`,
      alarmDescription:
        `The vault writer SAS expires within ${props.warningDays} days, or its expiry cannot be read. ` +
        `Re-apply ${ctx.env.name}-azure now (docs/operations.md, "vault credential expiring"); when it expires the archiver stops and events pile up in the DLQ.`,
      namespace: metricsNamespace(ctx.env.name),
      metricName: BUSINESS_METRICS.vaultCredentialDaysLeft,
      dimensions: { service: functionName },
      statistic: "Minimum",
      period: ALARM_PERIOD_SECONDS,
      evaluationPeriods: 1,
      threshold: props.warningDays,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
      alarmActions: [ctx.alarmTopicArn],
      okActions: [ctx.alarmTopicArn],
    });
  }
}
