import { readFileSync } from "node:fs";
import path from "node:path";
import { BUSINESS_METRICS, metricsNamespace } from "../../functions/shared/metric-names";
import { onlyResource, resourcesOf, sampleEnv, synthEnvironments, synthStacks } from "../support/synth-app";

const dev = sampleEnv("dev");
const prod = sampleEnv("prod");
const { stacks, built } = synthEnvironments([dev, prod]);
const devAws = stacks["dev-aws"]!;
const prodAws = stacks["prod-aws"]!;
// The samples' vault writer is federated (nothing expires); the expiry monitor exists only in `sas` mode.
const sasProdAws = synthStacks([sampleEnv("prod", { azure: { writerAuth: "sas" } })])["prod-aws"]!;
const alarms = (stack: typeof devAws) => Object.values(resourcesOf(stack, "aws_cloudwatch_metric_alarm")) as any[];
const alarmNamed = (stack: typeof devAws, name: string) => alarms(stack).find((a) => a.alarm_name === name);

describe("operations inventory (output ops_inventory)", () => {
  const inventory = prodAws.output!.ops_inventory!.value as any;

  test("names every SQS queue of the stack, as literal names the ops CLI can use", () => {
    const queueNames = Object.values(resourcesOf(prodAws, "aws_sqs_queue")).map((q: any) => q.name).sort();
    const inInventory = [
      ...inventory.pipelines.flatMap((p: any) => [p.queue, p.deadLetterQueue, ...p.deliveryDeadLetterQueues]),
      inventory.interactionWorkflow.failureQueue,
    ].sort();
    expect(inInventory).toEqual(queueNames);
    expect(JSON.stringify(inventory)).not.toContain("${");
  });

  test("names every function, the archive, the bus and the workflow as declared", () => {
    const functions = Object.values(resourcesOf(prodAws, "aws_lambda_function")).map((f: any) => f.function_name).sort();
    expect([...inventory.functions].sort()).toEqual(functions);
    expect(inventory.archiveName).toBe(onlyResource(prodAws, "aws_cloudwatch_event_archive").name);
    expect(inventory.eventBusName).toBe(onlyResource(prodAws, "aws_cloudwatch_event_bus").name);
    expect(inventory.interactionWorkflow.stateMachineName).toBe(onlyResource(prodAws, "aws_sfn_state_machine").name);
    expect(inventory.metricsNamespace).toBe("GenesysVault/prod");
    expect(inventory.pipelines.map((p: any) => p.id)).toEqual(["transcript-vault", "interaction", "config-sync"]);
    const configSync = inventory.pipelines.find((p: any) => p.id === "config-sync");
    expect(configSync.fifo).toBe(true);
    // Its rules are on the account's default bus, not the Genesys bus.
    expect(configSync.eventBusName).toBeUndefined();
  });

  test("names the alarm topic and every function npm run verify self-tests: all but the SAS expiry monitor", () => {
    expect(inventory.alarmTopicName).toBe(onlyResource(prodAws, "aws_sns_topic").name);
    expect([...inventory.selfTests].sort()).toEqual(
      ["transcript-archiver", "vault-reconciler", "interaction-dispatcher", "interaction-processor", "config-sync", "webhook-receiver"].map((f) => `gcv-prod-${f}`).sort(),
    );
    const sasInventory = sasProdAws.output!.ops_inventory!.value as any;
    expect(sasInventory.functions).toContain(sasInventory.vaultCredentialMonitor.functionName);
    expect(sasInventory.selfTests).not.toContain(sasInventory.vaultCredentialMonitor.functionName);
  });
});

describe("business metrics", () => {
  test("every function publishes into its environment's namespace", () => {
    for (const [stack, env] of [[devAws, "dev"], [prodAws, "prod"]] as const) {
      const fns = Object.values(resourcesOf(stack, "aws_lambda_function")) as any[];
      expect(fns.length).toBeGreaterThan(4);
      for (const fn of fns) expect(fn.environment.variables.POWERTOOLS_METRICS_NAMESPACE).toBe(metricsNamespace(env));
    }
  });
});

describe("operations dashboard", () => {
  const dashboard = onlyResource(prodAws, "aws_cloudwatch_dashboard");
  const body = JSON.parse(dashboard.dashboard_body);
  const text = JSON.stringify(body);

  test("one per environment, named for it", () => {
    expect(dashboard.dashboard_name).toBe("gcv-prod-operations");
    expect(onlyResource(devAws, "aws_cloudwatch_dashboard").dashboard_name).toBe("gcv-dev-operations");
  });

  test("shows every business metric in the environment's namespace", () => {
    const sasOnly: string[] = [BUSINESS_METRICS.vaultCredentialDaysLeft];
    for (const metric of Object.values(BUSINESS_METRICS)) if (!sasOnly.includes(metric)) expect(text).toContain(metric);
    expect(onlyResource(sasProdAws, "aws_cloudwatch_dashboard").dashboard_body).toContain(BUSINESS_METRICS.vaultCredentialDaysLeft);
    expect(text).toContain("GenesysVault/prod");
    expect(text).not.toContain("GenesysVault/dev");
  });

  test("shows depth and age of every buffer queue, every DLQ and the failure queue, and each function's errors and throttles", () => {
    const lines = body.widgets.flatMap((w: any) => w.properties.metrics ?? []);
    const queuesGraphed = new Set(lines.filter((l: any[]) => l[0] === "AWS/SQS").map((l: any[]) => l[3]));
    for (const q of Object.values(resourcesOf(prodAws, "aws_sqs_queue")) as any[]) expect(queuesGraphed).toContain(q.name);
    const ages = lines.filter((l: any[]) => l[1] === "ApproximateAgeOfOldestMessage").map((l: any[]) => l[3]);
    expect(ages).toEqual(expect.arrayContaining(["gcv-prod-transcript-vault", "gcv-prod-interaction", "gcv-prod-config-sync.fifo"]));
    for (const fn of Object.values(resourcesOf(prodAws, "aws_lambda_function")) as any[]) {
      expect(lines).toContainEqual(["AWS/Lambda", "Errors", "FunctionName", fn.function_name, expect.anything()]);
      expect(lines).toContainEqual(["AWS/Lambda", "Throttles", "FunctionName", fn.function_name, expect.anything()]);
    }
    expect(lines.filter((l: any[]) => l[0] === "AWS/States").map((l: any[]) => l[1])).toEqual(expect.arrayContaining(["ExecutionsStarted", "ExecutionsFailed", "ExecutionThrottled"]));
    expect(lines.find((l: any[]) => l[0] === "AWS/States")[3]).toBe("arn:aws:states:eu-west-1:333333333333:stateMachine:gcv-prod-interaction-workflow");
  });

  test("graphs the vault reconciler's completeness counts and its Genesys 429s under its own service", () => {
    const lines = body.widgets.flatMap((w: any) => w.properties.metrics ?? []);
    const ofReconciler = lines.filter((l: any[]) => l[0] === "GenesysVault/prod" && l[3] === "gcv-prod-vault-reconciler").map((l: any[]) => l[1]);
    expect(ofReconciler.sort()).toEqual(
      [
        BUSINESS_METRICS.conversationsExpected,
        BUSINESS_METRICS.conversationsArchived,
        BUSINESS_METRICS.conversationsMissing,
        BUSINESS_METRICS.conversationsBackfilled,
        BUSINESS_METRICS.missingAfterBackfill,
        BUSINESS_METRICS.conversationsOutlastingSearch,
        BUSINESS_METRICS.backfillsFailed,
        BUSINESS_METRICS.genesysRateLimited,
        BUSINESS_METRICS.genesysRetries,
      ].sort(),
    );
  });

  test("every graph fits the 24-column grid without overlap", () => {
    const cells = new Set<string>();
    for (const w of body.widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) for (let y = w.y; y < w.y + w.height; y++) {
        expect(cells.has(`${x},${y}`)).toBe(false);
        cells.add(`${x},${y}`);
      }
    }
  });
});

describe("alarms reach people", () => {
  test("prod subscribes its e-mail and its HTTPS endpoint to the alarm topic; dev (opted out) subscribes nothing", () => {
    const subs = Object.values(resourcesOf(prodAws, "aws_sns_topic_subscription")) as any[];
    expect(subs.map((s) => [s.protocol, s.endpoint]).sort()).toEqual([
      ["email", prod.aws.alarmEmail],
      ["https", prod.aws.alarmHttpsEndpoint],
    ]);
    expect(resourcesOf(devAws, "aws_sns_topic_subscription")).toEqual({});
  });
});

describe("Genesys silence (heartbeat) alarm", () => {
  const alarm = alarmNamed(prodAws, "gcv-prod-genesys-silent");

  test("fires after the configured window without a matched event, missing data counting as silence", () => {
    expect(alarm).toMatchObject({ comparison_operator: "LessThanThreshold", threshold: 1, treat_missing_data: "breaching", evaluation_periods: 12, datapoints_to_alarm: 12 });
    const metrics = alarm.metric_query.filter((q: any) => q.metric);
    expect(metrics.map((q: any) => q.metric.metric_name)).toEqual(["MatchedEvents", "MatchedEvents"]);
    for (const q of metrics) {
      expect(q.metric).toMatchObject({ namespace: "AWS/Events", period: 300, stat: "Sum" });
      expect(Object.keys(q.metric.dimensions).sort()).toEqual(["EventBusName", "RuleName"]);
    }
    expect(alarm.metric_query.find((q: any) => q.expression)).toMatchObject({ expression: "SUM([m0,m1])", return_data: true });
    expect(alarm.alarm_actions).toHaveLength(1);
  });

  test("is left out where maxSilenceMinutes is 0 (the dev sample)", () => {
    expect(alarmNamed(devAws, "gcv-dev-genesys-silent")).toBeUndefined();
    expect(built[1]!.aws.genesysSilence).toBeDefined();
  });
});

describe("vault credential expiry (sas mode)", () => {
  test("a federated writer has nothing that expires: no monitor, no alarm, no graph", () => {
    expect(Object.values(resourcesOf(prodAws, "aws_lambda_function")).map((f: any) => f.function_name)).not.toContain("gcv-prod-credential-expiry");
    expect(alarmNamed(prodAws, "gcv-prod-vault-credential-expiring")).toBeUndefined();
    expect(onlyResource(prodAws, "aws_cloudwatch_dashboard").dashboard_body).not.toContain(BUSINESS_METRICS.vaultCredentialDaysLeft);
  });

  test("a scheduled monitor reads only the vault secret and is invoked only by its schedule", () => {
    const fn = Object.values(resourcesOf(sasProdAws, "aws_lambda_function")).find((f: any) => f.function_name === "gcv-prod-credential-expiry") as any;
    expect(fn.environment.variables.AZURE_VAULT_SECRET_ARN).toMatch(/vault-writer-secret/);
    const rule = Object.values(resourcesOf(sasProdAws, "aws_cloudwatch_event_rule")).find((r: any) => r.name === "gcv-prod-credential-expiry") as any;
    expect(rule.schedule_expression).toBe("rate(1 hour)");
    const permission = Object.values(resourcesOf(sasProdAws, "aws_lambda_permission")).find((p: any) => p.statement_id === "ScheduleInvokesMonitor") as any;
    expect(permission).toMatchObject({ principal: "events.amazonaws.com" });
    expect(permission.source_arn).toMatch(/aws_cloudwatch_event_rule\.vault-credential-expiry_schedule_.*\.arn/);
    const policies = Object.values(resourcesOf(sasProdAws, "aws_iam_role_policy")).filter((p: any) => String(p.role).includes("vault-credential-expiry")) as any[];
    const statements = policies.flatMap((p) => JSON.parse(p.policy).Statement);
    expect(statements.find((s: any) => s.Sid === "ReadVaultWriterSecretExpiry")).toMatchObject({ Action: "secretsmanager:GetSecretValue" });
    expect(statements.filter((s: any) => String(s.Action).startsWith("secretsmanager:"))).toHaveLength(1);
  });

  test("alarms below the warning days (default 7) and when no value arrives", () => {
    const alarm = alarmNamed(sasProdAws, "gcv-prod-vault-credential-expiring");
    expect(alarm).toMatchObject({
      namespace: "GenesysVault/prod",
      metric_name: "VaultCredentialDaysLeft",
      dimensions: { service: "gcv-prod-credential-expiry" },
      statistic: "Minimum",
      comparison_operator: "LessThanThreshold",
      threshold: 7,
      treat_missing_data: "breaching",
    });
    expect(alarm.alarm_description).toMatch(/Re-apply prod-azure/);
  });

  test("the warning threshold follows azure.sasExpiryWarningDays", () => {
    const s = synthStacks([sampleEnv("dev", { azure: { writerAuth: "sas", sasExpiryWarningDays: 10 } })]);
    expect(alarmNamed(s["dev-aws"]!, "gcv-dev-vault-credential-expiring").threshold).toBe(10);
  });
});

describe("runbook (docs/operations.md)", () => {
  const runbook = readFileSync(path.resolve(__dirname, "../../docs/operations.md"), "utf8");
  const headings = [...runbook.matchAll(/^### .*`(gcv-<env>-[^`]+)`/gm)].map((m) => m[1]!);
  const patterns = headings.map((h) => new RegExp(`^${h.replace("<env>", "prod").replace(/<[a-z]+>/g, "[a-z0-9-]+")}$`));

  test("has an entry (meaning and commands) for every alarm the stack declares", () => {
    const names = alarms(prodAws).map((a) => a.alarm_name as string);
    expect(names.length).toBeGreaterThan(15);
    expect(names.filter((n) => !patterns.some((p) => p.test(n)))).toEqual([]);
  });

  test("names the real addresses of the vault credentials' rotation resources (writer and lister SAS)", () => {
    const s = synthStacks([sampleEnv("dev", { azure: { writerAuth: "sas" } })]);
    const addresses = Object.keys(s["dev-azure"]!.resource!.time_rotating!);
    expect(addresses).toHaveLength(2);
    for (const address of addresses) expect(runbook).toContain(`-replace=time_rotating.${address}`);
  });
});
