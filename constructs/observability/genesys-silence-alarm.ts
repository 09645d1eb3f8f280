import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";

export interface GenesysSilenceAlarmProps {
  readonly alarmName: string;
  /** The Genesys partner event bus. */
  readonly eventBusName: string;
  /** Rules on that bus whose matches count as "Genesys is sending". */
  readonly ruleNames: readonly string[];
  /** Alarm after this many minutes without one matched event (a multiple of 5, at most 1440). */
  readonly maxSilenceMinutes: number;
  readonly alarmTopicArn: string;
}

/** CloudWatch's 5-minute granularity for the window. */
const PERIOD_SECONDS = 300;

/**
 * The heartbeat: alarms when the Genesys bus matches no event on any pipeline
 * rule for `maxSilenceMinutes`. EventBridge publishes `MatchedEvents` only for
 * minutes with matches, so a silent bus is missing data, treated as breaching.
 * Causes: the Genesys integration was disabled or lost its topics, the partner
 * event source was deleted, or the org has no traffic.
 */
export class GenesysSilenceAlarm extends Construct {
  public readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: GenesysSilenceAlarmProps) {
    super(scope, id);
    const periods = props.maxSilenceMinutes / 5;
    if (!Number.isInteger(periods) || periods < 1 || periods > 288) {
      throw new Error(`${this.node.path}: maxSilenceMinutes must be a multiple of 5 from 5 to 1440 (got ${props.maxSilenceMinutes})`);
    }
    const matched = props.ruleNames.map((ruleName, i) => ({
      id: `m${i}`,
      returnData: false,
      metric: {
        namespace: "AWS/Events",
        metricName: "MatchedEvents",
        // Both dimensions: metrics of a custom (here: partner) bus carry EventBusName and RuleName.
        dimensions: { EventBusName: props.eventBusName, RuleName: ruleName },
        period: PERIOD_SECONDS,
        stat: "Sum",
      },
    }));
    this.alarm = new CloudwatchMetricAlarm(this, "alarm", {
      alarmName: props.alarmName,
      alarmDescription:
        `No Genesys event matched any pipeline rule for ${props.maxSilenceMinutes} minutes. ` +
        "Check the Genesys EventBridge integration and the partner event source (docs/operations.md, \"Genesys silent\").",
      metricQuery: [
        ...matched,
        { id: "matched", expression: `SUM([${matched.map((m) => m.id).join(",")}])`, label: "Genesys events matched", returnData: true },
      ],
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
      alarmActions: [props.alarmTopicArn],
      okActions: [props.alarmTopicArn],
    });
  }
}
