/**
 * `ops replay --from --to [--pipeline]`: replays archived Genesys events with
 * EventBridge StartReplay, only to the chosen pipeline's rule (all Genesys rules
 * without --pipeline). The replay name is derived from the scope and window, so
 * running the same command twice cannot replay twice; consumers are idempotent
 * anyway (create-only blobs, execution names from the event).
 */
import { createHash } from "node:crypto";
import { DescribeArchiveCommand, DescribeReplayCommand, DescribeRuleCommand, StartReplayCommand } from "@aws-sdk/client-eventbridge";
import { awsFailure, call, OpsError, sleep, type OpsContext } from "./context";
import { confirmed } from "./confirm";

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function time(flag: string, value: string | undefined): Date {
  if (!value) throw new OpsError(`replay needs ${flag} <time> (ISO 8601 with a zone, e.g. 2026-12-01T04:00:00Z)`, 2);
  if (!ISO_WITH_ZONE.test(value) || Number.isNaN(Date.parse(value))) throw new OpsError(`${flag} must be an ISO 8601 time with a zone, e.g. 2026-12-01T04:00:00Z (got ${JSON.stringify(value)})`, 2);
  return new Date(value);
}

/** `<env prefix>-<scope>-<from>-<to>` (UTC minutes), within EventBridge's 64 characters. */
export function replayName(environment: string, scope: string, from: Date, to: Date): string {
  const stamp = (d: Date) => d.toISOString().slice(0, 16).replace(/[-:]/g, "");
  const name = `gcv-${environment}-${scope}-${stamp(from)}-${stamp(to)}`;
  return name.length <= 64 ? name : `gcv-${environment}-${createHash("sha256").update(name).digest("hex").slice(0, 40)}`.slice(0, 64);
}

export async function replay(ctx: OpsContext): Promise<number> {
  const inv = ctx.inventory;
  const from = time("--from", ctx.args.from);
  const to = time("--to", ctx.args.to);
  if (from >= to) throw new OpsError(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`, 2);
  if (to > ctx.now()) throw new OpsError(`--to (${to.toISOString()}) is in the future: the archive holds only past events`, 2);

  const archived = inv.pipelines.filter((p) => p.eventBusName === inv.eventBusName);
  let scope = archived;
  if (ctx.args.pipeline) {
    const chosen = inv.pipelines.find((p) => p.id === ctx.args.pipeline);
    if (!chosen) throw new OpsError(`unknown pipeline "${ctx.args.pipeline}": one of ${archived.map((p) => p.id).join(", ")}`, 2);
    if (!archived.includes(chosen)) {
      throw new OpsError(`${chosen.id} is fed by Auto Scaling events and its schedule, not by the Genesys bus: nothing of it is archived. It repairs itself on its next reconciliation.`, 2);
    }
    scope = [chosen];
  }

  const archive = await call("events:DescribeArchive", inv.archiveName, () => ctx.aws.events.send(new DescribeArchiveCommand({ ArchiveName: inv.archiveName })));
  const ruleNames = scope.flatMap((p) => p.ruleNames);
  const ruleArns: string[] = [];
  for (const rule of ruleNames) {
    const described = await call("events:DescribeRule", rule, () => ctx.aws.events.send(new DescribeRuleCommand({ Name: rule, EventBusName: inv.eventBusName })));
    ruleArns.push(described.Arn!);
  }
  const name = replayName(inv.environment, ctx.args.pipeline ?? "all", from, to);
  ctx.io.out(`Replay ${name}: events of ${from.toISOString()} to ${to.toISOString()} from archive ${inv.archiveName}, to rule(s) ${ruleNames.join(", ")} only.`);
  if (ctx.args.dryRun) {
    ctx.io.out("Dry run: nothing was replayed.");
    return 0;
  }
  if (!(await confirmed(ctx, `Replay this window to ${ruleNames.length} rule(s)?`))) return 1;

  try {
    await ctx.aws.events.send(
      new StartReplayCommand({
        ReplayName: name,
        Description: `npm run ops -- replay${ctx.args.pipeline ? ` --pipeline ${ctx.args.pipeline}` : ""}`,
        EventSourceArn: archive.ArchiveArn,
        EventStartTime: from,
        EventEndTime: to,
        Destination: { Arn: archive.EventSourceArn, FilterArns: ruleArns },
      }),
    );
  } catch (error) {
    if ((error as Error).name !== "ResourceAlreadyExistsException") throw awsFailure(error, "events:StartReplay", name);
    const existing = await call("events:DescribeReplay", name, () => ctx.aws.events.send(new DescribeReplayCommand({ ReplayName: name })));
    ctx.io.out(`Replay ${name} already exists (state ${existing.State}): this window was replayed before, and is not replayed twice. To replay again on purpose, use a different window.`);
    return 0;
  }
  const span = to.getTime() - from.getTime();
  for (;;) {
    const r = await call("events:DescribeReplay", name, () => ctx.aws.events.send(new DescribeReplayCommand({ ReplayName: name })));
    const done = r.EventLastReplayedTime ? Math.round(((r.EventLastReplayedTime.getTime() - from.getTime()) / span) * 100) : 0;
    ctx.io.out(`  ${r.State}: ${Math.max(0, Math.min(100, done))}% of the window${r.EventLastReplayedTime ? ` (up to ${r.EventLastReplayedTime.toISOString()})` : ""}`);
    if (r.State === "COMPLETED") break;
    if (r.State === "FAILED" || r.State === "CANCELLED") throw new OpsError(`replay ${name} ${r.State.toLowerCase()}: ${r.StateReason ?? "no reason given"}`, 1);
    await sleep(ctx.pollIntervalMs);
  }
  ctx.io.out(`Done: replayed to ${ruleNames.join(", ")}. Duplicates are no-ops (create-only blobs, one execution per event).`);
  return 0;
}
