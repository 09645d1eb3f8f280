/**
 * What every ops command gets: the parsed arguments, the environment's names
 * (from the synthesized `ops_inventory` output), AWS clients in its region, and
 * an output channel that tests capture.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { OpsInventory } from "../../constructs/observability/ops-inventory";
import { CliError, type CliIo } from "../cli-args";
import type { OpsArgs } from "./args";

/** An ops failure (exit 1: failed; 2: bad input; 3: no AWS credentials, or AWS refused). */
export class OpsError extends CliError {
  override readonly name = "OpsError";
}

/** Where a command writes, and how it asks. */
export type OpsIo = CliIo;

export interface OpsClients {
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
  readonly sfn: SFNClient;
  readonly cloudwatch: CloudWatchClient;
}

export interface OpsContext {
  readonly args: OpsArgs;
  readonly inventory: OpsInventory;
  readonly aws: OpsClients;
  readonly io: OpsIo;
  /** Pause between progress polls. */
  readonly pollIntervalMs: number;
  readonly now: () => Date;
}

/** SDK v3 clients in the environment's region (credentials and endpoint overrides from the usual chain). */
export function clientsFor(region: string): OpsClients {
  return {
    sqs: new SQSClient({ region }),
    events: new EventBridgeClient({ region }),
    sfn: new SFNClient({ region }),
    cloudwatch: new CloudWatchClient({ region }),
  };
}

/** What to do when the SDK found no credentials (exit 3, like access denied: nothing was done). */
export function noCredentialsHint(account?: { accountId: string; region: string }): string {
  return [
    `no AWS credentials found${account ? ` for account ${account.accountId} (${account.region})` : ""}; nothing was done. Provide them the usual way:`,
    "  - a named profile: AWS_PROFILE=<profile> npm run ... (after `aws sso login --profile <profile>` for IAM Identity Center),",
    "  - or a role: the CI job's OIDC role (aws-actions/configure-aws-credentials), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN of an assumed role;",
    "  the role needs the permissions listed in docs/operations.md.",
  ].join("\n");
}

/**
 * No usable credentials, as opposed to "these credentials may not do this": none in the chain
 * (CredentialsProviderError, whichever provider gave up last), an expired SSO session or
 * session token, or keys AWS does not know.
 */
export function isMissingCredentials(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return (
    /^(CredentialsProviderError|TokenProviderError|ExpiredToken(Exception)?|UnrecognizedClientException|InvalidClientTokenId)$/.test(e?.name ?? "") ||
    /Could not load credentials from any providers/.test(e?.message ?? "")
  );
}

/**
 * Turns an AWS error into an {@link OpsError} naming what was attempted on what:
 * access denied (exit 3) says which permission is missing; missing credentials (exit 3) say how to provide them.
 */
export function awsFailure(error: unknown, action: string, resource: string, account?: { accountId: string; region: string }): OpsError {
  if (error instanceof OpsError) return error;
  const e = error as { name?: string; message?: string; Code?: string };
  const name = e?.name ?? "Error";
  if (isMissingCredentials(error)) return new OpsError(noCredentialsHint(account), 3);
  if (/AccessDenied/.test(name) || e?.Code === "AccessDenied") {
    return new OpsError(`access denied: ${action} on ${resource}. Your role needs this permission; nothing was changed. (${e.message ?? name})`, 3);
  }
  if (/QueueDoesNotExist|NonExistentQueue/.test(name)) {
    return new OpsError(`queue ${resource} does not exist in this account and region: is the stack deployed, and are your credentials for the right account?`, 1);
  }
  return new OpsError(`${action} on ${resource} failed: ${name}: ${e?.message ?? String(error)}`, 1);
}

/** Runs an AWS call, mapping its failure with {@link awsFailure}. */
export async function call<T>(action: string, resource: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw awsFailure(error, action, resource);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
