import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Construct } from "constructs";
import { BUSINESS_METRICS } from "../../functions/shared/metric-names";
import { stateMachineArnOf, type OpsInventory } from "./ops-inventory";

export interface OperationsDashboardProps {
  readonly dashboardName: string;
  /** The environment's names (the same the ops CLI reads). */
  readonly inventory: OpsInventory;
}

/** One graph line: `[namespace, metric, dimension, value, ..., options?]` or a math expression. */
type MetricLine = Array<string | Record<string, unknown>> | [Record<string, unknown>];

interface Graph {
  title: string;
  metrics: MetricLine[];
  stat?: "Sum" | "Maximum" | "Minimum" | "Average";
  /** Seconds. @default 300 */
  period?: number;
}

const GRAPH_WIDTH = 12;
const GRAPH_HEIGHT = 6;

/**
 * One CloudWatch dashboard per environment: the business metrics the functions
 * publish next to what AWS measures (queue depth and age, dead-letter queues,
 * workflow executions, function errors and throttles, Genesys traffic), so a
 * backlog can be read against its cause on one screen.
 */
export class OperationsDashboard extends Construct {
  public readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const inv = props.inventory;
    const graphs = operationsGraphs(inv);
    const header = {
      type: "text",
      x: 0,
      y: 0,
      width: 24,
      height: 2,
      properties: {
        markdown: `## Genesys vault pipelines: ${inv.environment}\nAlarms and what to do: docs/operations.md. Status from a shell: \`npm run ops -- status --env ${inv.environment}\`.`,
      },
    };
    const widgets = graphs.map((g, i) => ({
      type: "metric",
      x: (i % 2) * GRAPH_WIDTH,
      y: 2 + Math.floor(i / 2) * GRAPH_HEIGHT,
      width: GRAPH_WIDTH,
      height: GRAPH_HEIGHT,
      properties: { title: g.title, region: inv.region, view: "timeSeries", stacked: false, stat: g.stat ?? "Sum", period: g.period ?? 300, metrics: g.metrics },
    }));
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: props.dashboardName,
      dashboardBody: JSON.stringify({ widgets: [header, ...widgets] }),
    });
  }
}

/** The graphs, in reading order: traffic in, work done, backlog, failures. */
export function operationsGraphs(inv: OpsInventory): Graph[] {
  const ns = inv.metricsNamespace;
  const fn = (id: string) => inv.pipelines.find((p) => p.id === id)?.functions ?? [];
  const business = (metric: string, service: string, label?: string): MetricLine => [ns, metric, "service", service, { label: label ?? `${metric} (${service})` }];
  const perFunction = (metric: string, functions: readonly string[]) => functions.map((f) => business(metric, f));
  const sqs = (metric: string, queue: string): MetricLine => ["AWS/SQS", metric, "QueueName", queue, { label: queue }];
  const genesysRules = inv.pipelines.filter((p) => p.eventBusName === inv.eventBusName).flatMap((p) => p.ruleNames);
  const archiver = fn("transcript-vault");
  const stateMachineArn = stateMachineArnOf(inv);
  const configSync = fn("config-sync");
  const dispatcher = fn("interaction").filter((f) => f.endsWith("-dispatcher"));
  const processor = fn("interaction").filter((f) => f.endsWith("-processor"));

  const graphs: Graph[] = [
    {
      title: "Genesys events matched per pipeline rule",
      metrics: genesysRules.map((rule): MetricLine => ["AWS/Events", "MatchedEvents", "EventBusName", inv.eventBusName, "RuleName", rule, { label: rule }]),
    },
    {
      title: "Vault: archived events, transcripts, attachments; quarantined records",
      metrics: [
        ...[BUSINESS_METRICS.eventsArchived, BUSINESS_METRICS.transcriptsArchived, BUSINESS_METRICS.attachmentsArchived, BUSINESS_METRICS.recordsQuarantined].flatMap((m) => perFunction(m, archiver)),
        ...archiver.map((f) => [ns, BUSINESS_METRICS.bytesArchived, "service", f, { label: "bytes archived", yAxis: "right" }] as MetricLine),
      ],
    },
    {
      title: "Genesys API: 429 answers and retried requests",
      metrics: [BUSINESS_METRICS.genesysRateLimited, BUSINESS_METRICS.genesysRetries].flatMap((m) => perFunction(m, [...archiver, ...processor, ...configSync, ...(inv.vaultReconciler ? [inv.vaultReconciler] : [])])),
    },
    {
      title: "Interaction workflow: executions",
      metrics: [
        ...["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionThrottled"].map((m): MetricLine => ["AWS/States", m, "StateMachineArn", stateMachineArn, { label: m }]),
        ...perFunction(BUSINESS_METRICS.duplicateDeliveries, dispatcher),
        ...perFunction(BUSINESS_METRICS.interactionsApplied, processor),
      ],
    },
    {
      title: "Queue depth (visible messages)",
      stat: "Maximum",
      metrics: inv.pipelines.map((p) => sqs("ApproximateNumberOfMessagesVisible", p.queue)),
    },
    {
      title: "Oldest message age (seconds)",
      stat: "Maximum",
      metrics: inv.pipelines.map((p) => sqs("ApproximateAgeOfOldestMessage", p.queue)),
    },
    {
      title: "Dead-letter and failure queues (visible messages)",
      stat: "Maximum",
      metrics: [
        ...inv.pipelines.flatMap((p) => [p.deadLetterQueue, ...p.deliveryDeadLetterQueues]).map((q) => sqs("ApproximateNumberOfMessagesVisible", q)),
        sqs("ApproximateNumberOfMessagesVisible", inv.interactionWorkflow.failureQueue),
      ],
    },
    {
      title: "Function errors and throttles",
      metrics: inv.functions.flatMap((f): MetricLine[] => [
        ["AWS/Lambda", "Errors", "FunctionName", f, { label: `${f} errors` }],
        ["AWS/Lambda", "Throttles", "FunctionName", f, { label: `${f} throttles` }],
      ]),
    },
  ];
  if (inv.vaultReconciler) {
    const completeness = [
      BUSINESS_METRICS.conversationsExpected,
      BUSINESS_METRICS.conversationsArchived,
      BUSINESS_METRICS.conversationsMissing,
      BUSINESS_METRICS.conversationsBackfilled,
      BUSINESS_METRICS.missingAfterBackfill,
      BUSINESS_METRICS.conversationsOutlastingSearch,
      BUSINESS_METRICS.backfillsFailed,
    ];
    graphs.push({
      title: "Vault completeness (reconciler runs): ended conversations expected, archived, missing, backfilled, missing after backfill, open longer than the search, backfills refused",
      period: 3_600,
      metrics: completeness.map((m) => business(m, inv.vaultReconciler!, m)),
    });
  }
  if (inv.webhookApiName) {
    graphs.push({
      title: "Webhook decisions",
      metrics: [[{ expression: `SEARCH('{${ns},service,decision} MetricName="${BUSINESS_METRICS.webhookDecisions}"', 'Sum', 300)`, id: "decisions", label: "" }]],
    });
  }
  if (configSync.length) {
    graphs.push({ title: "Config sync: Genesys writes and skipped evaluations", metrics: [BUSINESS_METRICS.syncWrites, BUSINESS_METRICS.syncSkips].flatMap((m) => perFunction(m, configSync)) });
  }
  if (inv.vaultCredentialMonitor) {
    graphs.push({
      title: "Vault writer credential: days left",
      stat: "Minimum",
      period: 3600,
      metrics: [business(BUSINESS_METRICS.vaultCredentialDaysLeft, inv.vaultCredentialMonitor.functionName, "days left")],
    });
  }
  return graphs;
}
