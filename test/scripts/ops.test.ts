import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { OpsInventory } from "../../constructs/observability/ops-inventory";
import { runOps } from "../../scripts/ops/cli";
import { failureRetryName } from "../../scripts/ops/failures";
import { parseRetryMessage } from "../../functions/shared/interaction-retry";
import { replayName } from "../../scripts/ops/replay";
import { startCloudWatchFake, type CloudWatchFake } from "../support/cloudwatch-fake";
import { conversationEvent } from "../support/conversation-events";
import { startEventBridgeFake, type EventBridgeFake } from "../support/eventbridge-fake";
import { startSfnFake, type SfnFake } from "../support/sfn-fake";
import { startSqsLocal, type SqsLocal } from "../support/sqs-local";
import { sampleEnv, synthEnvironments } from "../support/synth-app";

// One synthesized prod environment: the CLI reads its names from cdktf.out like after `npm run synth`.
// Its vault writer is a SAS, so `status` also reports the credential's days left.
const { app, stacks } = synthEnvironments([sampleEnv("prod", { azure: { writerAuth: "sas" } })]);
const inventory = stacks["prod-aws"]!.output!.ops_inventory!.value as OpsInventory;
const STATE_MACHINE = `arn:aws:states:eu-west-1:333333333333:stateMachine:${inventory.interactionWorkflow.stateMachineName}`;
const NOW = new Date("2026-12-01T06:00:00Z");
const vault = inventory.pipelines.find((p) => p.id === "transcript-vault")!;
const interaction = inventory.pipelines.find((p) => p.id === "interaction")!;
const failureQueue = inventory.interactionWorkflow.failureQueue;

let sqs: SqsLocal;
let events: EventBridgeFake;
let sfn: SfnFake;
let cloudwatch: CloudWatchFake;
let clients: Parameters<typeof runOps>[1]["clients"];

beforeAll(async () => {
  [sqs, events, sfn, cloudwatch] = await Promise.all([startSqsLocal({ accountId: "333333333333", region: "eu-west-1" }), startEventBridgeFake(), startSfnFake(), startCloudWatchFake()]);
  const config = { region: "eu-west-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
  clients = {
    sqs: new SQSClient({ ...config, endpoint: sqs.endpoint }),
    events: new EventBridgeClient({ ...config, endpoint: events.endpoint }),
    sfn: new SFNClient({ ...config, endpoint: sfn.endpoint }),
    cloudwatch: new CloudWatchClient({ ...config, endpoint: cloudwatch.endpoint }),
  };
});

afterAll(async () => {
  await Promise.all([sqs?.close(), events?.close(), sfn?.close(), cloudwatch?.close()]);
});

beforeEach(() => {
  // Fresh queues (emptied) and a fresh bus for each test.
  for (const p of inventory.pipelines) {
    sqs.createQueue(p.queue, { redrive: { deadLetterQueue: sqs.createQueue(p.deadLetterQueue), maxReceiveCount: 5 } });
    for (const q of p.deliveryDeadLetterQueues) sqs.createQueue(q);
  }
  sqs.createQueue(failureQueue);
  sqs.allowAll();
  events.allowAll();
  sfn.allowAll();
  events.addBus(inventory.eventBusName, inventory.archiveName, inventory.pipelines.filter((p) => p.eventBusName).flatMap((p) => p.ruleNames));
  sfn.addStateMachine(STATE_MACHINE);
  sqs.calls.length = 0;
  events.calls.length = 0;
  sfn.calls.length = 0;
});

/** Puts messages on a queue as if sent; returns their ids. */
const seed = (queue: string, bodies: string[]) => bodies.map((body) => sqs.queue(queue).send(body));
/** Bodies on a queue now (visible or not). */
const bodiesOn = (queue: string) => sqs.queue(queue).storedBodies();

/** Runs the CLI in-process; `answers` are what the operator types at each question. */
async function ops(argv: string[], opts: { answers?: boolean[]; interactive?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const questions: string[] = [];
  const answers = [...(opts.answers ?? [])];
  const code = await runOps(argv, {
    io: {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      interactive: opts.interactive ?? true,
      confirm: async (q) => {
        questions.push(q);
        return answers.shift() ?? false;
      },
    },
    synthDir: app.outdir,
    env: {},
    pollIntervalMs: 0,
    now: () => NOW,
    clients,
  });
  return { code, out: out.join("\n"), err: err.join("\n"), questions };
}

const mutating = (fake: { calls: Array<{ operation: string }> }) => fake.calls.map((c) => c.operation).filter((o) => /^(Start|Delete|Send|Purge)/.test(o));

describe("arguments and environments", () => {
  test("--help prints the usage of every command", async () => {
    const { code, out } = await ops(["--help"]);
    expect(code).toBe(0);
    for (const cmd of ["status", "redrive <queue>", "replay --from", "failures list", "failures retry", "--dry-run", "--env"]) expect(out).toContain(cmd);
  });

  test.each([
    [["help", "redrive"], "redrive <queue>"],
    [["redrive", "--help"], "redrive <queue>"],
    [["failures", "retry", "--help"], "failures retry"],
    [["help", "replay"], "replay --from"],
  ])("%j prints that command's help only", async (argv, synopsis) => {
    const { code, out } = await ops(argv);
    expect(code).toBe(0);
    expect(out).toContain(`Usage: npm run ops -- ${synopsis}`);
    const others = ["status", "redrive <queue>", "replay --from", "failures list", "failures retry"].filter((s) => !synopsis.startsWith(s));
    // No other command's line from the overview.
    for (const other of others) expect(out.split("\n").filter((line) => line.startsWith(`  ${other}`))).toEqual([]);
  });

  test("`help` alone prints the usage of every command", async () => {
    const { code, out } = await ops(["help"]);
    expect(code).toBe(0);
    for (const cmd of ["status", "redrive <queue>", "replay --from", "failures list", "failures retry"]) expect(out).toContain(cmd);
  });

  test.each([
    [["statsu", "--env", "prod"], 'unknown command "statsu" (did you mean "status"?)'],
    [["failures", "retyr", "--env", "prod"], 'did you mean "retry"?'],
    [["help", "redrve"], 'unknown command "redrve" (did you mean "redrive"?)'],
  ])("a misspelled command %j is refused with the likely intended one", async (argv, message) => {
    const { code, err } = await ops(argv);
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(sqs.calls).toEqual([]);
  });

  test("an expired SSO session or session token: exit 3 with how to sign in, nothing changed", async () => {
    const expired = async () => {
      throw Object.assign(new Error("The SSO session associated with this profile has expired or is otherwise invalid."), { name: "TokenProviderError" });
    };
    const config = { region: "eu-west-1", credentials: expired, maxAttempts: 1 };
    const err: string[] = [];
    const code = await runOps(["status", "--env", "prod"], {
      io: { out: () => undefined, err: (l) => err.push(l), interactive: false, confirm: async () => false },
      synthDir: app.outdir,
      env: {},
      pollIntervalMs: 0,
      now: () => NOW,
      clients: {
        sqs: new SQSClient({ ...config, endpoint: sqs.endpoint }),
        events: new EventBridgeClient({ ...config, endpoint: events.endpoint }),
        sfn: new SFNClient({ ...config, endpoint: sfn.endpoint }),
        cloudwatch: new CloudWatchClient({ ...config, endpoint: cloudwatch.endpoint }),
      },
    });
    expect(code).toBe(3);
    expect(err.join("\n")).toMatch(/^ops: no AWS credentials found.*nothing was done\..*aws sso login --profile <profile>/s);
    expect(sqs.calls).toEqual([]);
  });

  test.each([
    [["frobnicate", "--env", "prod"], /unknown command "frobnicate"/],
    [["status", "--env"], /--env needs a value/],
    [["status", "--env", "prod", "--force"], /unknown option --force/],
    [["redrive", "--env", "prod"], /redrive needs the queue/],
    [["failures", "purge", "--env", "prod"], /failures needs "list" or "retry"/],
    [["failures", "list", "--env", "prod", "--max", "0"], /--max must be an integer from 1 to 1000/],
  ])("bad usage %j: exit 2 with the reason and the usage", async (argv, message) => {
    const { code, err } = await ops(argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  test("an unknown environment is refused with the configured ones, before any AWS call", async () => {
    const { code, err } = await ops(["status", "--env", "production"]);
    expect(code).toBe(2);
    expect(err).toBe('ops: unknown environment "production" (configured environments: dev, staging, prod)');
    expect(sqs.calls).toEqual([]);
  });

  test("a configured environment that was not synthesized says how to synthesize it", async () => {
    const { code, err } = await ops(["status", "--env", "staging"]);
    expect(code).toBe(2);
    expect(err).toMatch(/no synthesized stack for "staging" .*run `GCV_ENVIRONMENTS=staging npm run synth`/);
  });
});

describe("status", () => {
  test("shows every queue with depth and age, failed executions of the last 24 h and the vault credential's days left", async () => {
    seed(vault.deadLetterQueue, ["a", "b"]);
    seed(failureQueue, ["{}"]);
    cloudwatch.setMetric("AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName: vault.queue }, [7200]);
    cloudwatch.setMetric(inventory.metricsNamespace, "VaultCredentialDaysLeft", { service: inventory.vaultCredentialMonitor!.functionName }, [5.25]);
    const executions = sfn.executions(STATE_MACHINE);
    executions.push(
      { name: "recent-failure", input: "{}", status: "FAILED", startDate: NOW.getTime() - 3_600_000, stopDate: NOW.getTime() - 3_500_000 },
      { name: "recent-timeout", input: "{}", status: "TIMED_OUT", startDate: NOW.getTime() - 7_200_000, stopDate: NOW.getTime() - 7_000_000 },
      { name: "old-failure", input: "{}", status: "FAILED", startDate: NOW.getTime() - 3 * 86_400_000, stopDate: NOW.getTime() - 3 * 86_400_000 },
    );

    const { code, out } = await ops(["status", "--env", "prod"]);

    expect(code).toBe(0);
    const rows = out.split("\n");
    const row = (name: string) => rows.find((r) => r.startsWith(`${name} `))!.split(/\s{2,}/);
    expect(row(vault.queue)).toEqual([vault.queue, "buffer", "0", "0", "2.0 h"]);
    expect(row(vault.deadLetterQueue)).toEqual([vault.deadLetterQueue, "dead-letter", "2", "0", "-"]);
    expect(row(failureQueue)).toEqual([failureQueue, "failures", "1", "0", "-"]);
    for (const q of [...inventory.pipelines.flatMap((p) => [p.queue, p.deadLetterQueue, ...p.deliveryDeadLetterQueues])]) expect(rows.some((r) => r.startsWith(`${q} `))).toBe(true);
    expect(out).toContain("Interaction workflow: 2 failed or timed-out execution(s) in the last 24 h");
    expect(out).toContain("Vault writer credential: 5.3 day(s) left (alarm below 7)");
    expect(out).toContain(`npm run ops -- redrive transcript-vault --env prod`);
    expect(out).toContain("vault credential expires in 5.3 day(s): re-apply prod-azure now");
    expect(mutating(sqs)).toEqual([]);
    sfn.executions(STATE_MACHINE).length = 0;
  });

  test("a missing credential metric is reported as unknown (its alarm fires)", async () => {
    cloudwatch.setMetric(inventory.metricsNamespace, "VaultCredentialDaysLeft", { service: inventory.vaultCredentialMonitor!.functionName }, []);
    const { out } = await ops(["status", "--env", "prod"]);
    expect(out).toMatch(/Vault writer credential: unknown \(no value in the last 3 h/);
  });

  test("access denied on a read names the permission", async () => {
    sqs.deny("GetQueueAttributes");
    const { code, err } = await ops(["status", "--env", "prod"]);
    expect(code).toBe(3);
    expect(err).toMatch(/^ops: access denied: sqs:GetQueueAttributes on gcv-prod-transcript-vault\. Your role needs this permission; nothing was changed/);
  });
});

describe("redrive", () => {
  test("moves the DLQ back into its queue after showing the count and asking, with progress", async () => {
    seed(vault.deadLetterQueue, ["one", "two", "three", "four"]);
    const { code, out, questions } = await ops(["redrive", "transcript-vault", "--env", "prod"], { answers: [true] });
    expect(code).toBe(0);
    expect(out).toContain(`4 message(s) in ${vault.deadLetterQueue} -> ${vault.queue}`);
    expect(questions).toEqual([`Move 4 message(s) from ${vault.deadLetterQueue} back to ${vault.queue}? [y/N] `]);
    expect(out).toMatch(/RUNNING: 2 of 4 moved\n\s+COMPLETED: 4 of 4 moved/);
    expect(bodiesOn(vault.deadLetterQueue)).toEqual([]);
    expect(bodiesOn(vault.queue)).toEqual(["one", "two", "three", "four"]);
    const start = sqs.calls.find((c) => c.operation === "StartMessageMoveTask")!.input;
    expect(start).toEqual({ SourceArn: `arn:aws:sqs:eu-west-1:333333333333:${vault.deadLetterQueue}`, DestinationArn: `arn:aws:sqs:eu-west-1:333333333333:${vault.queue}` });
  });

  test("the DLQ may be named instead of the pipeline; FIFO DLQs too", async () => {
    const sync = inventory.pipelines.find((p) => p.id === "config-sync")!;
    seed(sync.deadLetterQueue, ["x"]);
    const { code } = await ops(["redrive", sync.deadLetterQueue, "--env", "prod", "--yes"]);
    expect(code).toBe(0);
    expect(bodiesOn(sync.queue)).toEqual(["x"]);
  });

  test("an empty DLQ: nothing to do, no task started", async () => {
    const { code, out } = await ops(["redrive", "interaction", "--env", "prod", "--yes"]);
    expect(code).toBe(0);
    expect(out).toContain(`${interaction.deadLetterQueue} is empty: nothing to redrive.`);
    expect(mutating(sqs)).toEqual([]);
  });

  test("an unknown queue lists the valid ones and touches nothing", async () => {
    const { code, err } = await ops(["redrive", "transcripts", "--env", "prod", "--yes"]);
    expect(code).toBe(2);
    expect(err).toBe('ops: unknown queue "transcripts": one of transcript-vault, interaction, config-sync (or the name of their dead-letter queue)');
    expect(sqs.calls).toEqual([]);
  });

  test("a delivery DLQ is explained (its events are in the archive), not moved", async () => {
    const { code, err } = await ops(["redrive", vault.deliveryDeadLetterQueues[0]!, "--env", "prod", "--yes"]);
    expect(code).toBe(2);
    expect(err).toMatch(/EventBridge could not deliver.*npm run ops -- replay --pipeline transcript-vault --env prod/);
  });

  test("dry run, a 'no', and a non-interactive run without --yes all move nothing", async () => {
    seed(vault.deadLetterQueue, ["kept"]);
    expect((await ops(["redrive", "transcript-vault", "--env", "prod", "--dry-run"])).out).toContain("Dry run: nothing was moved.");
    expect((await ops(["redrive", "transcript-vault", "--env", "prod"], { answers: [false] })).code).toBe(1);
    const piped = await ops(["redrive", "transcript-vault", "--env", "prod"], { interactive: false });
    expect(piped.code).toBe(2);
    expect(piped.err).toMatch(/Not asked: stdin is not a terminal\. Re-run with --yes/);
    expect(mutating(sqs)).toEqual([]);
    expect(bodiesOn(vault.deadLetterQueue)).toEqual(["kept"]);
  });

  test("access denied on the move: a clear message, the messages stay in the DLQ", async () => {
    seed(vault.deadLetterQueue, ["stays"]);
    sqs.deny("StartMessageMoveTask");
    const { code, err } = await ops(["redrive", "transcript-vault", "--env", "prod", "--yes"]);
    expect(code).toBe(3);
    expect(err).toMatch(/access denied: sqs:StartMessageMoveTask on gcv-prod-transcript-vault-dlq/);
    expect(bodiesOn(vault.deadLetterQueue)).toEqual(["stays"]);
  });
});

describe("replay", () => {
  const window = ["--from", "2026-12-01T01:00:00Z", "--to", "2026-12-01T03:30:00Z"];

  test("replays the window from the archive to that pipeline's rule only, with progress", async () => {
    const { code, out } = await ops(["replay", "--pipeline", "transcript-vault", "--env", "prod", "--yes", ...window]);
    expect(code).toBe(0);
    const name = replayName("prod", "transcript-vault", new Date("2026-12-01T01:00:00Z"), new Date("2026-12-01T03:30:00Z"));
    expect(name).toBe("gcv-prod-transcript-vault-20261201T0100-20261201T0330");
    const input = events.replays.get(name)!.input;
    expect(input.EventSourceArn).toBe(`arn:aws:events:eu-west-1:333333333333:archive/${inventory.archiveName}`);
    expect(input.Destination).toEqual({
      Arn: `arn:aws:events:eu-west-1:333333333333:event-bus/${inventory.eventBusName}`,
      FilterArns: [`arn:aws:events:eu-west-1:333333333333:rule/${inventory.eventBusName}/${vault.ruleNames[0]}`],
    });
    expect([input.EventStartTime, input.EventEndTime]).toEqual([Date.parse("2026-12-01T01:00:00Z") / 1000, Date.parse("2026-12-01T03:30:00Z") / 1000]);
    expect(out).toMatch(/STARTING: 0% of the window\n\s+RUNNING: 50% of the window.*\n\s+COMPLETED: 100% of the window/);
  });

  test("the same window again is not replayed twice", async () => {
    await ops(["replay", "--env", "prod", "--yes", ...window]);
    const again = await ops(["replay", "--env", "prod", "--yes", ...window]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/Replay gcv-prod-all-20261201T0100-20261201T0330 already exists \(state .*\): this window was replayed before/);
    expect(events.calls.filter((c) => c.operation === "StartReplay")).toHaveLength(2);
    expect(events.replays.size).toBeGreaterThanOrEqual(1);
  });

  test.each([
    [["--from", "2026-12-01T01:00:00Z"], /replay needs --to/],
    [["--from", "yesterday", "--to", "2026-12-01T03:00:00Z"], /--from must be an ISO 8601 time with a zone/],
    [["--from", "2026-12-01T01:00:00", "--to", "2026-12-01T03:00:00Z"], /--from must be an ISO 8601 time with a zone/],
    [["--from", "2026-12-01T03:00:00Z", "--to", "2026-12-01T01:00:00Z"], /must be before --to/],
    [["--from", "2026-12-01T05:00:00Z", "--to", "2026-12-01T07:00:00Z"], /is in the future/],
    [[...window, "--pipeline", "config-sync"], /not by the Genesys bus: nothing of it is archived/],
    [[...window, "--pipeline", "webhook"], /unknown pipeline "webhook"/],
  ])("bad input %j: exit 2, nothing replayed", async (argv, message) => {
    const { code, err } = await ops(["replay", "--env", "prod", "--yes", ...argv]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(mutating(events)).toEqual([]);
  });

  test("access denied on StartReplay: a clear message", async () => {
    events.deny("StartReplay");
    const { code, err } = await ops(["replay", "--env", "prod", "--yes", "--pipeline", "interaction", "--from", "2026-11-30T01:00:00Z", "--to", "2026-11-30T02:00:00Z"]);
    expect(code).toBe(3);
    expect(err).toMatch(/access denied: events:StartReplay on gcv-prod-interaction-20261130T0100-20261130T0200/);
  });
});

describe("failures", () => {
  const failureRecord = (event: Record<string, unknown>) =>
    JSON.stringify({ event, error: "GenesysClientError", cause: "PATCH /api/v2/conversations/x/participants/y/attributes: HTTP 400", executionId: "arn:aws:states:...:execution:x:y", executionStartTime: "2026-12-01T00:00:00Z" });

  test("list shows event, conversation, error and cause, and deletes nothing", async () => {
    const event = conversationEvent({ conversationId: "c0ffee00-0000-4000-8000-000000000001" });
    seed(failureQueue, [failureRecord(event)]);
    const { code, out } = await ops(["failures", "list", "--env", "prod"]);
    expect(code).toBe(0);
    expect(out).toContain(`event ${event.id}, conversation c0ffee00-0000-4000-8000-000000000001: GenesysClientError: PATCH /api/v2/conversations/x/participants/y/attributes: HTTP 400`);
    expect(mutating(sqs)).toEqual([]);
    expect(bodiesOn(failureQueue)).toHaveLength(1);
  });

  test("retry puts each event back on the interaction queue as a retry of its record, then deletes the record; starts nothing itself; a malformed record is kept", async () => {
    const events2 = [conversationEvent({ eventType: "customer.end" }), conversationEvent({ eventType: "acd.end" })];
    const ids = seed(failureQueue, [...events2.map(failureRecord), "not json"]);
    const { code, out } = await ops(["failures", "retry", "--env", "prod", "--yes"]);
    expect(code).toBe(1); // one record could not be retried
    // The dispatcher starts them when a slot is free (test/constructs/interaction runs that part).
    expect(sfn.calls.filter((c) => c.operation === "StartExecution")).toEqual([]);
    expect(bodiesOn(interaction.queue).map((b) => parseRetryMessage(JSON.parse(b)))).toEqual([
      { retryOf: ids[0], event: events2[0] },
      { retryOf: ids[1], event: events2[1] },
    ]);
    expect(bodiesOn(failureQueue)).toEqual(["not json"]);
    expect(out).toMatch(/\[3\/3\] kept .*not a failure record/);
    expect(out).toContain(`[1/3] queued ${failureRetryName(events2[0], ids[0]!)}`);
    expect(out).toContain("Done: 2 queued for retry, 1 kept.");
    // Each delete follows the send of its event.
    expect(sqs.calls.map((c) => c.operation).filter((o) => o === "SendMessage" || o === "DeleteMessage")).toEqual(["SendMessage", "DeleteMessage", "SendMessage", "DeleteMessage"]);
  });

  test("a record without a usable event (the status change could not include an oversized input) is kept with its execution", async () => {
    const body = JSON.stringify({ event: null, error: "States.Runtime", cause: "...", executionId: "arn:aws:states:eu-west-1:333333333333:execution:w:big" });
    seed(failureQueue, [body]);
    const { code, out } = await ops(["failures", "retry", "--env", "prod", "--yes"]);
    expect(code).toBe(1);
    expect(out).toMatch(/kept .*cannot be retried: it holds no event \(execution arn:aws:states:eu-west-1:333333333333:execution:w:big\)/);
    expect(bodiesOn(failureQueue)).toEqual([body]);
    expect(bodiesOn(interaction.queue)).toEqual([]);
  });

  test("access denied on the send: the record is not deleted, nothing is queued", async () => {
    const body = failureRecord(conversationEvent());
    seed(failureQueue, [body]);
    sqs.deny("SendMessage");
    const { code, err } = await ops(["failures", "retry", "--env", "prod", "--yes"]);
    expect(code).toBe(3);
    expect(err).toMatch(/access denied: sqs:SendMessage on gcv-prod-interaction\. /);
    expect(bodiesOn(failureQueue)).toEqual([body]);
    expect(bodiesOn(interaction.queue)).toEqual([]);
    expect(sqs.calls.filter((c) => c.operation === "DeleteMessage")).toEqual([]);
  });

  test("an empty failure queue and a dry run change nothing", async () => {
    expect((await ops(["failures", "retry", "--env", "prod", "--yes"])).out).toContain("is empty: nothing to retry.");
    seed(failureQueue, [failureRecord(conversationEvent())]);
    const dry = await ops(["failures", "retry", "--env", "prod", "--dry-run"]);
    expect(dry.out).toMatch(/would queue .*-r[0-9a-f]{8} for/);
    expect(mutating(sqs)).toEqual([]);
    expect(mutating(sfn)).toEqual([]);
  });

  test("retry names stay within 80 characters and keep the business hash", () => {
    const event = conversationEvent({ conversationId: "c".repeat(36), eventType: "customer.end" });
    const name = failureRetryName(event, "m-1");
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+-[0-9a-f]{20}-r[0-9a-f]{8}$/);
    expect(failureRetryName(event, "m-1")).toBe(name);
    expect(failureRetryName(event, "m-2")).not.toBe(name);
  });
});

describe("credentials", () => {
  test("without AWS credentials a command says how to provide them and exits 3, like access denied", async () => {
    const saved = { ...process.env };
    for (const key of Object.keys(process.env)) if (key.startsWith("AWS_")) delete process.env[key];
    Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: "/nonexistent/config", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials", AWS_ENDPOINT_URL_SQS: sqs.endpoint });
    const err: string[] = [];
    try {
      const code = await runOps(["status", "--env", "prod"], {
        io: { out: () => {}, err: (l) => err.push(l), interactive: false, confirm: async () => false },
        synthDir: app.outdir,
        env: {},
        now: () => NOW,
      });
      expect(code).toBe(3);
      expect(err.join("\n")).toMatch(/^ops: no AWS credentials found; nothing was done\. Provide them the usual way:\n.*AWS_PROFILE=<profile>.*aws sso login/s);
      expect(sqs.calls).toEqual([]);
    } finally {
      process.env = saved;
    }
  });
});
