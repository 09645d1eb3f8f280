import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import { applyDefaults } from "../../config/defaults";
import { sampleEnvironments } from "../../config/environments";
import { alarmTopicArnOf, type OpsInventory } from "../../constructs/observability/ops-inventory";
import { clearGenesysTokenCache } from "../../functions/shared/genesys-client";
import { type RunVerifyOptions, runVerify } from "../../scripts/verify/cli";
import { SELF_TEST_RUN_ID_PATTERN } from "../../scripts/verify/self-test-contract";
import { type AzureControlFake, startAzureControlFake } from "../support/azure-control-fake";
import { type EventBridgeFake, startEventBridgeFake } from "../support/eventbridge-fake";
import { type GenesysFake, startGenesysFake } from "../support/genesys-fake";
import { type InvokeResult, type LambdaFake, startLambdaFake } from "../support/lambda-fake";
import { type SnsFake, startSnsFake } from "../support/sns-fake";
import { synthEnvironments } from "../support/synth-app";

// The sample prod (Genesys side by hand, alarm e-mail and HTTPS endpoint, locked WORM policy) and
// dev (Genesys side as code, alarm opt-out, unlocked policy), synthesized as `npm run synth` does.
const samples = sampleEnvironments.map(applyDefaults);
const prodConfig = samples.find((e) => e.name === "prod")!;
const devConfig = samples.find((e) => e.name === "dev")!;
const { app, stacks } = synthEnvironments([prodConfig, devConfig]);
const inventoryOf = (env: string) => stacks[`${env}-aws`]!.output!.ops_inventory!.value as OpsInventory;
const prod = inventoryOf("prod");
const dev = inventoryOf("dev");
const VERIFY_CLIENT = { clientId: "verify-read-only", clientSecret: "verify-secret" };
const SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";

let lambda: LambdaFake;
let events: EventBridgeFake;
let sns: SnsFake;
let genesys: GenesysFake;
let azure: AzureControlFake;
let clients: RunVerifyOptions["clients"];

beforeAll(async () => {
  [lambda, events, sns, genesys, azure] = await Promise.all([
    startLambdaFake("333333333333", "eu-west-1"),
    startEventBridgeFake(),
    startSnsFake(),
    startGenesysFake({ clients: [VERIFY_CLIENT] }),
    startAzureControlFake(),
  ]);
  const config = { region: "eu-west-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
  clients = {
    lambda: new LambdaClient({ ...config, endpoint: lambda.endpoint }),
    events: new EventBridgeClient({ ...config, endpoint: events.endpoint }),
    sns: new SNSClient({ ...config, endpoint: sns.endpoint }),
  };
});

afterAll(async () => {
  await Promise.all([lambda?.close(), events?.close(), sns?.close(), genesys?.close(), azure?.close()]);
});

/** A function's self-test as the contract has it: validates the request, answers one result per check. */
function selfTest(functionName: string, checks: Array<{ name: string; ok?: boolean; reason?: string; fix?: string; skipped?: boolean }>) {
  return (payload: any): InvokeResult => {
    const request = payload?.gcvSelfTest;
    if (Object.keys(payload ?? {}).length !== 1 || request?.version !== 1 || !SELF_TEST_RUN_ID_PATTERN.test(request?.runId ?? "")) {
      return { error: { errorType: "SelfTestRequestError", errorMessage: "malformed self-test request" } };
    }
    const results = checks.map((c) => ({ name: c.name, ok: c.ok ?? true, durationMs: 25, reason: c.reason, fix: c.fix, skipped: c.skipped }));
    return { payload: { gcvSelfTest: { version: 1, function: functionName, runId: request.runId, ok: results.every((r) => r.ok), checks: results } } };
  };
}

/** Every dependency healthy: the state right after a good deploy. */
function healthy(inv: OpsInventory, config: typeof prodConfig) {
  lambda.allowAll();
  events.allowAll();
  sns.allowAll();
  for (const fn of inv.selfTests) lambda.setFunction(fn, selfTest(fn, [{ name: "secrets have their fields" }, { name: "dependencies reachable" }]));
  events.setEventSource(inv.eventBusName, "ACTIVE");
  const partnerRules = inv.pipelines.filter((p) => p.eventBusName === inv.eventBusName).flatMap((p) => p.ruleNames);
  events.addBus(inv.eventBusName, inv.archiveName, partnerRules);
  for (const rule of partnerRules) events.setRuleState(inv.eventBusName, rule, "ENABLED");
  sns.setTopic(alarmTopicArnOf(inv), config.aws.alarmSubscriptionOptOut ? [] : [{ protocol: "email", endpoint: config.aws.alarmEmail!, confirmed: true }]);
  azure.firewall = "deny";
  azure.forbiddenTokens.clear();
  azure.policies.set(`${config.azure.storageAccountName}/${config.azure.containerName}`, { state: config.azure.immutabilityLocked ? "Locked" : "Unlocked", days: config.azure.immutabilityDays });
  genesys.integrations.clear();
  genesys.addIntegration({ name: `gcv-${config.name} Amazon EventBridge`, type: "amazon-eventbridge-source", intendedState: "ENABLED", reportedCode: "ACTIVE" });
  genesys.addIntegration({ name: "another team's integration", type: "amazon-eventbridge-source", intendedState: "DISABLED", reportedCode: "INACTIVE" });
}

beforeEach(() => {
  lambda.invocations.length = 0;
  clearGenesysTokenCache();
  healthy(prod, prodConfig);
  healthy(dev, devConfig);
});

/** Runs the CLI in-process against the stand-ins. */
async function verify(argv: string[], opts: Partial<RunVerifyOptions> & { env?: NodeJS.ProcessEnv } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runVerify(argv, {
    io: { out: (l) => out.push(l), err: (l) => err.push(l) },
    synthDir: app.outdir,
    env: { ARM_SUBSCRIPTION_ID: SUBSCRIPTION, GENESYS_VERIFY_CLIENT_ID: VERIFY_CLIENT.clientId, GENESYS_VERIFY_CLIENT_SECRET: VERIFY_CLIENT.clientSecret },
    clients,
    endpoints: { azure: { blob: azure.blobEndpoint, management: azure.managementEndpoint }, genesys: { api: genesys.baseUrl, login: genesys.baseUrl } },
    azureToken: async () => ({ token: "operator-token" }),
    ...opts,
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** The `--json` report's row for a check. */
async function rowsOf(argv: string[], opts: Partial<RunVerifyOptions> = {}) {
  const { code, out } = await verify([...argv, "--json"], opts);
  const report = JSON.parse(out) as { ok: boolean; checks: Array<{ check: string; ok: boolean; reason?: string; fix?: string; skipped?: boolean; warning?: boolean; durationMs: number }> };
  const row = (name: string) => {
    const found = report.checks.find((c) => c.check === name);
    if (!found) throw new Error(`no row ${name} in ${report.checks.map((c) => c.check).join(", ")}`);
    return found;
  };
  return { code, report, row };
}

describe("a healthy environment", () => {
  test("prod: every self-test and control-plane check passes, exit 0, each function invoked once with a self-test request", async () => {
    const { code, out } = await verify(["--env", "prod"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^PASSED: \d+ ok, 0 failed, 0 warned, 1 skipped in \d+\.\d s$/m);
    expect(lambda.invocations.map((i) => i.functionName).sort()).toEqual([...prod.selfTests].sort());
    const runIds = new Set(lambda.invocations.map((i) => (i.payload as any).gcvSelfTest.runId));
    expect(runIds.size).toBe(1);
    for (const fn of prod.selfTests) expect(out).toMatch(new RegExp(`^${fn}: dependencies reachable\\s+ok\\s+\\d+ ms`, "m"));
    for (const check of ["partner event source ACTIVE", "partner bus rules enabled", "alarm subscriptions confirmed", "vault firewall refuses this machine", "vault immutability policy"]) {
      expect(out).toMatch(new RegExp(`^${check}\\s+ok\\s+`, "m"));
    }
    // prod's Genesys side is set up by hand: the integration check says so instead of passing.
    expect(out).toMatch(/^Genesys integration enabled\s+skip\s+.*genesysStack\.enabled is false/m);
    // The firewall probe is anonymous: no credential can change what the firewall decides.
    expect(azure.requests.filter((r) => r.endpoint === "blob").every((r) => r.authorization === undefined)).toBe(true);
  });

  test("dev: the Genesys integration is read with the read-only client; an alarm opt-out warns, it does not fail", async () => {
    const { code, row } = await rowsOf(["--env", "dev"]);
    expect(code).toBe(0);
    expect(row("Genesys integration enabled")).toMatchObject({ ok: true, reason: "intended ENABLED, reported ACTIVE" });
    expect(row("alarm subscriptions confirmed")).toMatchObject({ ok: true, warning: true, reason: expect.stringContaining("no subscription (aws.alarmSubscriptionOptOut)") });
    expect(row("vault immutability policy")).toMatchObject({ ok: true, reason: "Unlocked, 1 day(s)" });
    const logins = genesys.requestsOf("token");
    expect(logins.length).toBeGreaterThan(0);
    // The fake knows only the read-only client: a granted login is that client's.
    expect(logins.every((r) => r.status === 200)).toBe(true);
    expect(genesys.requestsOf("integration")).toHaveLength(1);
  });

  test("--json prints one machine-readable document with every check's ok, duration, reason and fix", async () => {
    const { code, report } = await rowsOf(["--env", "prod"]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ environment: "prod", accountId: prod.accountId, region: prod.region, ok: true, runId: expect.stringMatching(SELF_TEST_RUN_ID_PATTERN) });
    for (const c of report.checks) expect(c).toEqual(expect.objectContaining({ check: expect.any(String), ok: expect.any(Boolean), durationMs: expect.any(Number) }));
  });
});

describe("failures are reported with their reason and fix, and exit 1", () => {
  test("AccessDenied invoking a function names the permission and the function ARN", async () => {
    const fn = prod.selfTests[0]!;
    lambda.deny(fn);
    const { code, row, report } = await rowsOf(["--env", "prod"]);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    const arn = `arn:aws:lambda:eu-west-1:333333333333:function:${fn}`;
    expect(row(`${fn}: self-test`)).toMatchObject({ ok: false, reason: expect.stringContaining(`access denied: lambda:InvokeFunction on ${arn}`), fix: `allow lambda:InvokeFunction on ${arn} for the role running verify (docs/operations.md, Live verification)` });
  });

  test.each([
    ["DescribeEventSource", "partner event source ACTIVE", "events:DescribeEventSource"],
    ["DescribeRule", "partner bus rules enabled", "events:DescribeRule"],
  ])("AccessDenied on EventBridge %s fails %s with the action to allow", async (operation, check, action) => {
    events.deny(operation);
    const { code, row } = await rowsOf(["--env", "prod"]);
    expect(code).toBe(1);
    expect(row(check)).toMatchObject({ ok: false, reason: expect.stringMatching(new RegExp(`^access denied: ${action} on `)), fix: expect.stringContaining(`allow ${action} on `) });
  });

  test("SNS AuthorizationError on the alarm topic names sns:ListSubscriptionsByTopic", async () => {
    sns.deny("ListSubscriptionsByTopic");
    const { code, row } = await rowsOf(["--env", "prod"]);
    expect(code).toBe(1);
    expect(row("alarm subscriptions confirmed")).toMatchObject({ ok: false, fix: `allow sns:ListSubscriptionsByTopic on ${alarmTopicArnOf(prod)} for the role running verify (policy: docs/operations.md, Live verification)` });
  });

  test("a refused capacity change reported by the webhook receiver's self-test fails its row with the function's reason and fix", async () => {
    const fn = prod.selfTests.find((f) => f.endsWith("webhook-receiver"))!;
    const reason =
      "DynamoDB refused the capacity change of table orders: AccessDeniedException: User: arn:aws:sts::333333333333:assumed-role/gcv-prod-webhook-receiver/x is not authorized to perform: dynamodb:UpdateTable on resource: arn:aws:dynamodb:eu-west-1:333333333333:table/orders";
    const fix = "grant the receiver's role dynamodb:DescribeTable and dynamodb:UpdateTable on the tables its actions name (re-apply <env>-aws)";
    lambda.setFunction(fn, selfTest(fn, [{ name: "action tables" }, { name: "capacity change permission", ok: false, reason, fix }]));
    const { code, out } = await verify(["--env", "prod"]);
    expect(code).toBe(1);
    expect(out).toMatch(new RegExp(`^${fn}: capacity change permission\\s+FAIL\\s+25 ms\\s+DynamoDB refused the capacity change`, "m"));
    expect(out).toContain(`  - ${fn}: capacity change permission [FAIL]: ${fix}`);
    expect(out).toMatch(new RegExp(`^${fn}: action tables\\s+ok`, "m"));
  });

  test("an Entra refusal (subject mismatch) reported by the archiver's self-test fails its row", async () => {
    const fn = prod.selfTests.find((f) => f.endsWith("transcript-archiver"))!;
    const reason = "Entra token exchange answered 400 invalid_client AADSTS700213: No matching federated identity record found for presented assertion subject 'arn:aws:iam::333333333333:role/gcv-prod-archiver-old'";
    lambda.setFunction(fn, selfTest(fn, [{ name: "web identity token" }, { name: "Entra exchange", ok: false, reason, fix: "the federated credential's subject and issuer must equal the role ARN and the account's issuer exactly: apply prod-azure" }, { name: "canary blob", ok: false, skipped: true, reason: 'not run: "Entra exchange" did not pass' }]));
    const { code, row } = await rowsOf(["--env", "prod"]);
    expect(code).toBe(1);
    expect(row(`${fn}: Entra exchange`)).toMatchObject({ ok: false, reason, fix: expect.stringContaining("subject and issuer") });
    expect(row(`${fn}: canary blob`)).toMatchObject({ ok: false, skipped: true });
  });

  test("a function that does not answer self-tests (an older deploy) fails with how to fix it", async () => {
    const fn = prod.selfTests[1]!;
    lambda.setFunction(fn, () => ({ payload: { batchItemFailures: [] } }));
    const { row } = await rowsOf(["--env", "prod"]);
    expect(row(`${fn}: self-test`)).toMatchObject({ ok: false, reason: 'the answer is not a self-test response (no "gcvSelfTest" object)', fix: expect.stringContaining("deploy this version of prod-aws") });
  });

  test("a function that throws reports its error type and where to read the log", async () => {
    const fn = prod.selfTests[2]!;
    lambda.setFunction(fn, () => ({ error: { errorType: "ConfigError", errorMessage: "SLOTS_TABLE is not set" } }));
    const { row } = await rowsOf(["--env", "prod"]);
    expect(row(`${fn}: self-test`)).toMatchObject({ ok: false, reason: "the invocation failed (Unhandled): ConfigError: SLOTS_TABLE is not set", fix: expect.stringContaining(`/aws/lambda/${fn}`) });
  });

  test("a function that hangs is cut off at its deadline; the run stays bounded", async () => {
    const fn = prod.selfTests[0]!;
    lambda.setFunction(fn, () => new Promise<InvokeResult>(() => {}));
    const started = Date.now();
    const { row, report } = await rowsOf(["--env", "prod"], { selfTestTimeoutMs: 500 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(row(`${fn}: self-test`)).toMatchObject({ ok: false, reason: "no answer within 0.5 s" });
    expect(report.checks.filter((c) => !c.ok)).toHaveLength(1);
  });

  test("a PENDING partner event source and a disabled rule fail with what to apply or enable", async () => {
    events.setEventSource(prod.eventBusName, "PENDING");
    const rule = prod.pipelines[0]!.ruleNames[0]!;
    events.setRuleState(prod.eventBusName, rule, "DISABLED");
    const { code, row } = await rowsOf(["--env", "prod"]);
    expect(code).toBe(1);
    expect(row("partner event source ACTIVE")).toMatchObject({ ok: false, reason: expect.stringContaining("is PENDING"), fix: expect.stringContaining("apply prod-aws") });
    expect(row("partner bus rules enabled")).toMatchObject({ ok: false, reason: `disabled on ${prod.eventBusName}: ${rule}`, fix: expect.stringContaining(`aws events enable-rule --event-bus-name ${prod.eventBusName}`) });
  });

  test("an unconfirmed alarm subscription fails prod (and warns in dev)", async () => {
    sns.setTopic(alarmTopicArnOf(prod), [
      { protocol: "email", endpoint: "genesys-vault-alerts@example.com", confirmed: false },
      { protocol: "https", endpoint: "https://alerts.example.com/integrations/sns/genesys-vault-prod", confirmed: true },
    ]);
    sns.setTopic(alarmTopicArnOf(dev), [{ protocol: "email", endpoint: "dev-alerts@example.com", confirmed: false }]);
    const prodRun = await rowsOf(["--env", "prod"]);
    expect(prodRun.code).toBe(1);
    expect(prodRun.row("alarm subscriptions confirmed")).toMatchObject({ ok: false, reason: "1 of 2 not confirmed (PendingConfirmation): email genesys-vault-alerts@example.com: its alarms reach no one there" });
    const devRun = await rowsOf(["--env", "dev"]);
    expect(devRun.code).toBe(0);
    expect(devRun.row("alarm subscriptions confirmed")).toMatchObject({ ok: true, warning: true, reason: expect.stringContaining("PendingConfirmation") });
  });

  test("Azure firewall: a 403 AuthorizationFailure proves it held; an admitted request or a 403 from authorization fails", async () => {
    expect((await rowsOf(["--env", "prod"])).row("vault firewall refuses this machine")).toMatchObject({ ok: true, reason: "403 AuthorizationFailure" });
    azure.firewall = "admit";
    const admitted = await rowsOf(["--env", "prod"]);
    expect(admitted.code).toBe(1);
    expect(admitted.row("vault firewall refuses this machine")).toMatchObject({ ok: false, reason: expect.stringMatching(/^answered 409 PublicAccessNotPermitted: the firewall admitted this machine/), fix: expect.stringContaining("nat_public_ips") });
    azure.firewall = "rbac";
    expect((await rowsOf(["--env", "prod"])).row("vault firewall refuses this machine")).toMatchObject({ ok: false, reason: expect.stringContaining("answered 403 AuthorizationPermissionMismatch, not AuthorizationFailure: the request passed the firewall") });
  });

  test("an endpoint this machine cannot reach fails as unreachable: never a firewall pass", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const nowhere = `http://127.0.0.1:${port}`;
    const config = { region: "eu-west-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
    const { code, row } = await rowsOf(["--env", "prod"], {
      clients: { ...clients!, sns: new SNSClient({ ...config, endpoint: nowhere }) },
      endpoints: { azure: { blob: nowhere, management: azure.managementEndpoint } },
    });
    expect(code).toBe(1);
    expect(row("vault firewall refuses this machine")).toMatchObject({ ok: false, reason: expect.stringContaining("could not be reached from this machine") });
    expect(row("alarm subscriptions confirmed")).toMatchObject({ ok: false, reason: expect.stringContaining("unreachable from this machine: connect ECONNREFUSED"), fix: expect.stringContaining("outbound HTTPS") });
  });

  test("Azure immutability: unlocked where the config locks it, no policy, or a 403 from RBAC each fail", async () => {
    const key = `${prodConfig.azure.storageAccountName}/${prodConfig.azure.containerName}`;
    azure.policies.set(key, { state: "Unlocked", days: prodConfig.azure.immutabilityDays });
    expect((await rowsOf(["--env", "prod"])).row("vault immutability policy")).toMatchObject({ ok: false, reason: expect.stringContaining("azure.immutabilityLocked is true"), fix: "apply prod-azure, which locks it (locking is irreversible: make sure 2555 days is right)" });
    azure.policies.delete(key);
    expect((await rowsOf(["--env", "prod"])).row("vault immutability policy")).toMatchObject({ ok: false, reason: expect.stringContaining("no immutability policy") });
    azure.forbiddenTokens.add("operator-token");
    expect((await rowsOf(["--env", "prod"])).row("vault immutability policy")).toMatchObject({ ok: false, reason: expect.stringContaining("403 AuthorizationFailed"), fix: expect.stringContaining("Reader on storage account") });
    const request = azure.requests.filter((r) => r.endpoint === "management").at(-1)!;
    expect(request.path).toBe(
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/${prodConfig.azure.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${prodConfig.azure.storageAccountName}/blobServices/default/containers/${prodConfig.azure.containerName}/immutabilityPolicies/default?api-version=2024-01-01`,
    );
  });

  test("without an Azure sign-in the immutability check is skipped with how to sign in, never passed", async () => {
    const { code, row } = await rowsOf(["--env", "prod"], { azureToken: async () => ({ unavailable: "the Azure CLI (az) is not installed" }) });
    expect(code).toBe(0);
    expect(row("vault immutability policy")).toMatchObject({ ok: true, skipped: true, reason: "not checked: no Azure sign-in (the Azure CLI (az) is not installed)", fix: expect.stringContaining("az login") });
    expect(azure.requests.some((r) => r.endpoint === "management" && r.path.includes("immutabilityPolicies") && r.authorization === undefined)).toBe(false);
  });

  test("Genesys: a 403, a disabled integration and one in error each fail; missing client credentials skip with how to set them", async () => {
    genesys.failNext("integrations", [{ status: 403, code: "missing.permissions" }]);
    expect((await rowsOf(["--env", "dev"])).row("Genesys integration enabled")).toMatchObject({ ok: false, reason: "Genesys refused the read: 403 missing.permissions", fix: expect.stringContaining("integrations:integration:view") });

    const [id] = [...genesys.integrations.values()].filter((i) => i.name === "gcv-dev Amazon EventBridge").map((i) => i.id);
    genesys.addIntegration({ id, name: "gcv-dev Amazon EventBridge", type: "amazon-eventbridge-source", intendedState: "DISABLED", reportedCode: "INACTIVE" });
    const disabled = await rowsOf(["--env", "dev"]);
    expect(disabled.code).toBe(1);
    expect(disabled.row("Genesys integration enabled")).toMatchObject({ ok: false, reason: "gcv-dev Amazon EventBridge is disabled: intended DISABLED, reported INACTIVE", fix: expect.stringContaining("apply dev-genesys") });

    genesys.addIntegration({ id, name: "gcv-dev Amazon EventBridge", type: "amazon-eventbridge-source", intendedState: "ENABLED", reportedCode: "ERROR", reportedDetail: "Unable to reach the AWS account" });
    expect((await rowsOf(["--env", "dev"])).row("Genesys integration enabled")).toMatchObject({ ok: false, reason: expect.stringContaining("is in error: intended ENABLED, reported ERROR (Unable to reach the AWS account)") });

    const noClient = await rowsOf(["--env", "dev"], { env: { ARM_SUBSCRIPTION_ID: SUBSCRIPTION } });
    expect(noClient.row("Genesys integration enabled")).toMatchObject({ ok: true, skipped: true, fix: expect.stringContaining("GENESYS_VERIFY_CLIENT_ID") });
  });
});

describe("input and credentials", () => {
  test("without AWS credentials it says how to provide them, exits 3 and invokes nothing", async () => {
    const saved = { ...process.env };
    for (const key of Object.keys(process.env)) if (key.startsWith("AWS_")) delete process.env[key];
    Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: "/nonexistent/config", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials", AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint });
    try {
      const { code, out, err } = await verify(["--env", "prod"], { clients: undefined });
      expect(code).toBe(3);
      expect(out).toBe("");
      expect(err).toContain("verify: no AWS credentials found for account 333333333333 (eu-west-1); nothing was done.");
      expect(err).toContain("AWS_PROFILE=<profile>");
      expect(err).toContain("aws sso login");
      expect(lambda.invocations).toEqual([]);
    } finally {
      process.env = saved;
    }
  });

  test.each([
    [["--env"], /--env needs a value/],
    [["--env", "prod", "--force"], /unknown option --force/],
    [["--env", "prod", "extra"], /unexpected argument "extra"/],
    [[], /--env is required \(configured environments: dev, staging, prod\)/],
    [["--env", "production"], /unknown environment "production"/],
  ])("bad usage %j: exit 2 with the reason, before any call", async (argv, message) => {
    const { code, err } = await verify(argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(lambda.invocations).toEqual([]);
  });

  test("a stack synthesized by an older version (no self-tests in its inventory) is refused with how to synthesize, before any call", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "verify-old-synth-"));
    const stack = JSON.parse(readFileSync(path.join(app.outdir, "stacks", "prod-aws", "cdk.tf.json"), "utf8"));
    delete stack.output.ops_inventory.value.selfTests;
    delete stack.output.ops_inventory.value.alarmTopicName;
    mkdirSync(path.join(dir, "stacks", "prod-aws"), { recursive: true });
    writeFileSync(path.join(dir, "stacks", "prod-aws", "cdk.tf.json"), JSON.stringify(stack));
    const { code, err } = await verify(["--env", "prod"], { synthDir: dir });
    expect(code).toBe(2);
    expect(err).toContain("predates npm run verify");
    expect(err).toContain("GCV_ENVIRONMENTS=prod npm run synth");
    expect(lambda.invocations).toEqual([]);
  });

  test("--help prints the usage with the exit codes and where credentials come from", async () => {
    const { code, out } = await verify(["--help"]);
    expect(code).toBe(0);
    for (const text of ["--env <env>", "--json", "GENESYS_VERIFY_CLIENT_ID", "az login", "3 no AWS credentials"]) expect(out).toContain(text);
  });
});

describe("docs/operations.md, Live verification", () => {
  const docs = readFileSync(path.resolve(__dirname, "../../docs/operations.md"), "utf8");
  const section = docs.slice(docs.indexOf("## Live verification (`npm run verify`)"), docs.indexOf("## Runbook: every alarm"));

  test("the verify role's policy names every function verify invokes and every action it calls, each on its resource (no wildcard resource)", () => {
    const policy = JSON.parse(/### Permissions[\s\S]*?```json\n([\s\S]*?)\n```/.exec(section)![1]!) as { Statement: Array<{ Action: string | string[]; Resource: string | string[] }> };
    const actions = policy.Statement.flatMap((s) => [s.Action].flat());
    expect(actions.sort()).toEqual(["events:DescribeEventSource", "events:DescribeRule", "kms:Decrypt", "kms:GenerateDataKey", "lambda:InvokeFunction", "sns:ListSubscriptionsByTopic", "sns:Publish"]);
    for (const statement of policy.Statement) expect([statement.Resource].flat()).not.toContain("*");
    const invoked = policy.Statement.find((s) => s.Action === "lambda:InvokeFunction")!.Resource as string[];
    expect(invoked.map((arn) => arn.replace(/^.*:function:gcv-<env>-/, "gcv-prod-")).sort()).toEqual([...prod.selfTests].sort());
  });

  test("lists every check verify reports, and a table of what only a real account can prove", async () => {
    const { report } = await rowsOf(["--env", "dev"]);
    for (const c of report.checks.filter((c) => !c.check.includes(": "))) expect(section).toContain(`| \`${c.check}\``);
    expect(section).toContain("### What only a real account can prove");
    for (const path of ["AWS outbound identity federation to Entra", "ABAC list condition", "Azure firewall admits only the NAT IPs", "Genesys permissions of each OAuth client", "The webhook receiver's capacity permission", "SNS subscriptions", "The Genesys provider's first apply"]) {
      expect(section).toContain(path);
    }
  });
});
