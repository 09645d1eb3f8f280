import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { Construct } from "constructs";

export interface ThresholdAlarmProps {
  readonly alarmName: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: "Maximum" | "Sum" | "Average";
  /** Alarm when the statistic is greater than this. */
  readonly threshold: number;
  /** Period in seconds. @default 60 */
  readonly periodSeconds?: number;
  /** Consecutive periods over the threshold. @default 1 */
  readonly evaluationPeriods?: number;
  /** SNS topic notified on ALARM and OK. */
  readonly alarmTopicArn: string;
}

/** One "greater than threshold" alarm that notifies the environment's alarm topic on ALARM and on recovery. */
export function thresholdAlarm(scope: Construct, id: string, p: ThresholdAlarmProps): CloudwatchMetricAlarm {
  return new CloudwatchMetricAlarm(scope, id, {
    alarmName: p.alarmName,
    alarmDescription: p.description,
    namespace: p.namespace,
    metricName: p.metricName,
    dimensions: p.dimensions,
    statistic: p.statistic,
    period: p.periodSeconds ?? 60,
    evaluationPeriods: p.evaluationPeriods ?? 1,
    threshold: p.threshold,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    alarmActions: [p.alarmTopicArn],
    okActions: [p.alarmTopicArn],
  });
}
