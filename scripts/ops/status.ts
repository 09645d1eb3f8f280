/** `ops status`: every queue's depth and oldest age, failed executions in 24 h, days left on the vault credential. */
import { GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { ListExecutionsCommand, type ExecutionStatus } from "@aws-sdk/client-sfn";
import { BUSINESS_METRICS } from "../../functions/shared/metric-names";
import { stateMachineArnOf } from "../../constructs/observability/ops-inventory";
import { call, type OpsContext } from "./context";
import { allQueues, queueState } from "./queues";

const DAY_MS = 86_400_000;

/** Latest value of each query over the last `minutes` (undefined: no data). */
async function latest(ctx: OpsContext, queries: MetricDataQuery[], minutes: number): Promise<Map<string, number | undefined>> {
  const end = ctx.now();
  const { MetricDataResults = [] } = await call("cloudwatch:GetMetricData", ctx.inventory.metricsNamespace, () =>
    ctx.aws.cloudwatch.send(new GetMetricDataCommand({ StartTime: new Date(end.getTime() - minutes * 60_000), EndTime: end, MetricDataQueries: queries, ScanBy: "TimestampDescending" })),
  );
  return new Map(MetricDataResults.map((r) => [r.Id!, r.Values?.[0]]));
}

/** Executions with `status` that stopped within the last 24 hours (newest first, paged). */
async function recentExecutions(ctx: OpsContext, status: ExecutionStatus): Promise<number> {
  const stateMachineArn = stateMachineArnOf(ctx.inventory);
  const since = ctx.now().getTime() - DAY_MS;
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await call("states:ListExecutions", stateMachineArn, () =>
      ctx.aws.sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: status, maxResults: 100, nextToken })),
    );
    const executions = page.executions ?? [];
    count += executions.filter((e) => (e.stopDate ?? e.startDate)!.getTime() >= since).length;
    // Newest first: once a page starts before the window, older pages cannot stop inside it.
    nextToken = executions.some((e) => e.startDate!.getTime() < since) ? undefined : page.nextToken;
  } while (nextToken);
  return count;
}

const formatAge = (seconds: number | undefined) =>
  seconds === undefined ? "-" : seconds < 120 ? `${Math.round(seconds)} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;

export async function status(ctx: OpsContext): Promise<number> {
  const inv = ctx.inventory;
  const { io } = ctx;
  io.out(`Environment ${inv.environment} (account ${inv.accountId}, ${inv.region})`);
  const queues = allQueues(inv);
  const states = [];
  for (const q of queues) states.push({ ...q, ...(await queueState(ctx, q.name)) });
  const ages = await latest(
    ctx,
    queues.map((q, i) => ({ Id: `age${i}`, MetricStat: { Metric: { Namespace: "AWS/SQS", MetricName: "ApproximateAgeOfOldestMessage", Dimensions: [{ Name: "QueueName", Value: q.name }] }, Period: 300, Stat: "Maximum" } })),
    15,
  );

  const width = Math.max(...queues.map((q) => q.name.length), 5);
  io.out("");
  io.out(`${"queue".padEnd(width)}  ${"kind".padEnd(12)}  ${"visible".padStart(7)}  ${"in flight".padStart(9)}  oldest`);
  const attention: string[] = [];
  states.forEach((s, i) => {
    io.out(`${s.name.padEnd(width)}  ${s.kind.padEnd(12)}  ${String(s.visible).padStart(7)}  ${String(s.inFlight).padStart(9)}  ${formatAge(ages.get(`age${i}`))}`);
    if (s.visible === 0) return;
    if (s.kind === "dead-letter") attention.push(`${s.name}: ${s.visible} message(s): inspect, fix the cause, then \`npm run ops -- redrive ${s.pipeline} --env ${inv.environment}\``);
    if (s.kind === "delivery DLQ") attention.push(`${s.name}: ${s.visible} event(s) EventBridge could not deliver: fix the queue policy, then \`npm run ops -- replay --pipeline ${s.pipeline} --env ${inv.environment} --from ... --to ...\` (docs/operations.md)`);
    if (s.kind === "failures") attention.push(`${s.name}: ${s.visible} failed interaction event(s): \`npm run ops -- failures list --env ${inv.environment}\``);
  });

  const failed = (await recentExecutions(ctx, "FAILED")) + (await recentExecutions(ctx, "TIMED_OUT"));
  io.out("");
  io.out(`Interaction workflow: ${failed} failed or timed-out execution(s) in the last 24 h`);

  if (inv.vaultCredentialMonitor) {
    const { functionName, warningDays } = inv.vaultCredentialMonitor;
    const days = (
      await latest(
        ctx,
        [{ Id: "days", MetricStat: { Metric: { Namespace: inv.metricsNamespace, MetricName: BUSINESS_METRICS.vaultCredentialDaysLeft, Dimensions: [{ Name: "service", Value: functionName }] }, Period: 3600, Stat: "Minimum" } }],
        180,
      )
    ).get("days");
    if (days === undefined) {
      io.out(`Vault writer credential: unknown (no value in the last 3 h from ${functionName}: its alarm is firing)`);
      attention.push(`vault credential expiry unknown: see docs/operations.md, "vault credential expiring"`);
    } else {
      io.out(`Vault writer credential: ${days.toFixed(1)} day(s) left (alarm below ${warningDays})`);
      if (days < warningDays) attention.push(`vault credential expires in ${days.toFixed(1)} day(s): re-apply ${inv.environment}-azure now`);
    }
  } else {
    io.out("Vault writer credential: federated identity (nothing to expire or rotate)");
  }
  if (attention.length) {
    io.out("");
    io.out("Needs attention:");
    for (const line of attention) io.out(`  - ${line}`);
  }
  return 0;
}
