/**
 * `npm run verify -- --env <env> [--json]`: proves the environment's trust paths in the real
 * account. Callable in-process (tests) or from main.ts; structured like the ops CLI (same
 * inventory, argument rules, exit codes and credential chain).
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import { noCredentialsHint, OpsError } from "../ops/context";
import { loadEnvironment } from "../ops/inventory";
import { parseVerifyArgs, USAGE } from "./args";
import { type AzureEndpoints, type AzureToken, azureCliToken, immutabilityCheck, vaultFirewallCheck } from "./azure";
import { elapsed, TIMEOUTS, withDeadline } from "./checks";
import { alarmSubscriptionsCheck, partnerEventSourceCheck, partnerRulesCheck } from "./control-plane";
import { type GenesysEndpoints, genesysIntegrationCheck } from "./genesys";
import { formatTable, type VerifyReport } from "./report";
import { selfTests } from "./self-tests";

export interface VerifyClients {
  readonly lambda: LambdaClient;
  readonly events: EventBridgeClient;
  readonly sns: SNSClient;
}

export interface RunVerifyOptions {
  readonly io: { out(line: string): void; err(line: string): void };
  /** cdktf output folder. @default `GCV_SYNTH_DIR`, else `<repo>/cdktf.out` */
  readonly synthDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** AWS clients to use instead of the SDK's defaults for the environment's region. */
  readonly clients?: VerifyClients;
  /** Where the Azure and Genesys checks send their requests. @default the real services */
  readonly endpoints?: { readonly azure?: AzureEndpoints; readonly genesys?: GenesysEndpoints };
  /** The Azure management token. @default the Azure CLI sign-in ({@link azureCliToken}) */
  readonly azureToken?: () => Promise<AzureToken>;
  /** Self-test deadline per function (ms). @default 40 s */
  readonly selfTestTimeoutMs?: number;
}

/** SDK v3 clients in the environment's region (credentials and endpoint overrides from the usual chain). */
export function verifyClientsFor(region: string): VerifyClients {
  return { lambda: new LambdaClient({ region }), events: new EventBridgeClient({ region }), sns: new SNSClient({ region }) };
}

/** `verify-<env>-<UTC time>-<random>`: unique per run, and a valid self-test run id. */
export function newRunId(environment: string, now = new Date()): string {
  return `verify-${environment}-${now.toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
}

/** Runs every check; returns the exit code (0 passed, 1 a check failed, 2 bad input, 3 no AWS credentials). */
export async function runVerify(argv: readonly string[], opts: RunVerifyOptions): Promise<number> {
  const env = opts.env ?? process.env;
  const started = performance.now();
  try {
    const args = parseVerifyArgs(argv);
    if (args.help) {
      opts.io.out(USAGE);
      return 0;
    }
    const synthDir = opts.synthDir ?? env.GCV_SYNTH_DIR ?? path.resolve(__dirname, "..", "..", "..", "cdktf.out");
    const { inventory: inv, config } = loadEnvironment(args.env, synthDir, env);
    if (!Array.isArray(inv.selfTests) || !inv.alarmTopicName) {
      throw new OpsError(`the synthesized ${inv.environment}-aws predates npm run verify (its ops_inventory names no self-tests): run \`GCV_ENVIRONMENTS=${inv.environment} npm run synth\` with this version, then retry`, 2);
    }
    const clients = opts.clients ?? verifyClientsFor(inv.region);
    await requireCredentials(clients.lambda, inv);

    const runId = newRunId(inv.environment);
    const targets = inv.selfTests.map((functionName) => ({ functionName, functionArn: `arn:${inv.partition}:lambda:${inv.region}:${inv.accountId}:function:${functionName}`, environment: inv.environment }));
    const azureToken = opts.azureToken ?? (() => azureCliToken());
    const [functionRows, ...controlPlane] = await Promise.all([
      selfTests(clients.lambda, targets, runId, opts.selfTestTimeoutMs),
      partnerEventSourceCheck(clients.events, inv),
      partnerRulesCheck(clients.events, inv),
      alarmSubscriptionsCheck(clients.sns, inv, config),
      genesysIntegrationCheck(config, env, opts.endpoints?.genesys ?? {}),
      vaultFirewallCheck(config, opts.endpoints?.azure ?? {}),
      immutabilityCheck(config, opts.endpoints?.azure ?? {}, env, azureToken),
    ]);
    const checks = [...functionRows, ...controlPlane];
    const report: VerifyReport = { environment: inv.environment, accountId: inv.accountId, region: inv.region, runId, ok: checks.every((c) => c.ok), durationMs: elapsed(started), checks };
    if (args.json) opts.io.out(JSON.stringify(report, null, 2));
    else for (const line of formatTable(report)) opts.io.out(line);
    return report.ok ? 0 : 1;
  } catch (error) {
    if (!(error instanceof OpsError)) throw error;
    opts.io.err(`verify: ${error.message}`);
    return error.exitCode;
  }
}

/** Resolves the AWS credentials once, before any check: none (or an expired sign-in) is exit 3 with how to provide them. */
async function requireCredentials(lambda: LambdaClient, account: { accountId: string; region: string }): Promise<void> {
  try {
    await withDeadline(TIMEOUTS.controlPlane, async () => {
      const provider = lambda.config.credentials;
      if (typeof provider === "function") await provider();
    });
  } catch (error) {
    throw new OpsError(`${noCredentialsHint(account)}\n(${(error as Error).name}: ${(error as Error).message})`, 3);
  }
}
