/**
 * Environment variables read by the functions: one table, validated at the edge.
 *
 * Secrets never live here: variables only name the Secrets Manager secret (ARN),
 * and the value is fetched at runtime (secrets.ts).
 *
 * | Variable                    | Meaning                                                                 | Default                    |
 * |-----------------------------|-------------------------------------------------------------------------|----------------------------|
 * | GENESYS_REGION_DOMAIN       | Genesys Cloud region domain, e.g. `mypurecloud.ie`                      | required where Genesys is called |
 * | GENESYS_API_BASE_URL        | Override of `https://api.<domain>` (tests point it at a fake)           | derived from the domain    |
 * | GENESYS_LOGIN_BASE_URL      | Override of `https://login.<domain>`                                    | derived from the domain    |
 * | GENESYS_SECRET_ARN          | Secret holding `{"clientId","clientSecret"}`                            | required where Genesys is called |
 * | GENESYS_REQUEST_TIMEOUT_MS  | Timeout of each Genesys request                                          | 10000                      |
 * | AZURE_VAULT_SECRET_ARN      | Secret holding `{"blobEndpoint","containerName","sasToken","expiresOn"}` (sas) or `{"blobEndpoint","containerName","tenantId","clientId"}` (federated) | required by the archiver |
 * | AZURE_VAULT_AUTH            | `federated` (Entra ID token from the role's AWS identity) or `sas`      | sas                        |
 * | AZURE_AUTHORITY_HOST        | Entra ID authority for federated tokens (tests point it at a fake)      | https://login.microsoftonline.com |
 * | AZURE_VAULT_LISTER_SECRET_ARN | Secret of the list-only credential, same shape and mode as AZURE_VAULT_SECRET_ARN (existence and metadata, never content) | required by the archiver and the reconciler |
 * | TIME_GUARD_MS               | Start no new record, attachment or page when less than this remains of the invocation | 10000 |
 * | RECONCILE_WINDOW_HOURS      | Reconciler: conversations that ended in the last this-many hours (before the settle time) | 24 |
 * | RECONCILE_SETTLE_MINUTES    | Reconciler: leave out conversations that ended this recently (the archiver may still be on them) | 60 |
 * | RECONCILE_MAX_CONVERSATION_DAYS | Reconciler: the longest a conversation ending in the window may have lasted and still be found | 30 |
 * | RECONCILE_SLICE_MINUTES     | Reconciler: length of the analytics query intervals in the day before the window | 60 |
 * | RECONCILE_REQUESTS_PER_MINUTE | Reconciler: its share of the Genesys rate budget (analytics requests per minute) | 60 |
 * | RECONCILE_PAGE_SIZE         | Reconciler: analytics page size | 100 |
 * | ARCHIVER_QUEUE_URL          | Reconciler: the archiver's queue, where missing conversations are re-enqueued | required by the reconciler |
 * | AZURE_REQUEST_TIMEOUT_MS    | Deadline of each Azure Blob operation, its retries included              | 20000                      |
 * | AZURE_MAX_TRIES             | Attempts per Azure Blob request (SDK retry policy)                       | 3                          |
 * | MAX_EVENT_BYTES             | Larger SQS bodies are quarantined, not processed                         | 1048576                    |
 * | SECRETS_CACHE_TTL_SECONDS   | How long a fetched secret is reused                                      | 300                        |
 * | IDEMPOTENCY_TABLE_NAME      | DynamoDB table of the Powertools idempotency utility (and the reconciler's run checkpoints) | required where used |
 * | STATE_MACHINE_ARN           | Interaction workflow the dispatcher starts executions of                 | required by the dispatcher |
 * | INTERACTION_ATTRIBUTE_PREFIX | Prefix of the participant attributes the processor writes (`<p>processedAt`, `<p>eventType`, `<p>eventTime`) | aws_ |
 * | INTERACTION_IDEMPOTENCY_TTL_SECONDS | How long the processor remembers an applied event                | 345600 (4 days: Genesys' redelivery horizon) |
 * | SLOTS_TABLE_NAME            | DynamoDB table of the interaction workflow's slots (dispatcher/slots.ts)   | required by the dispatcher |
 * | MAX_RUNNING_EXECUTIONS      | Interaction executions allowed to run at once (the semaphore's size)      | 5                          |
 * | MAX_EVENT_AGE_SECONDS       | How long an interaction event may wait for a slot before it is dead-lettered | 86400                   |
 * | GENESYS_REQUESTS_PER_MINUTE | Genesys rate the dispatcher assumes when it spaces re-receives of waiting events | 300                  |
 * | INTAKE_QUEUE_URL            | The dispatcher's own queue (waiting events are made invisible there)      | required by the dispatcher |
 * | DEAD_LETTER_QUEUE_URL       | The intake queue's DLQ (malformed and expired events are moved there at once) | required by the dispatcher |
 * | FAILURE_QUEUE_URL           | The workflow's failure queue (events of timed-out or aborted executions)  | required by the dispatcher |
 * | SYNC_RULES                  | JSON array of configuration sync rules (functions/shared/sync-rules.ts)  | required by config-sync    |
 * | AUDIT_TABLE_NAME            | DynamoDB table recording every change config-sync applies to Genesys    | required by config-sync    |
 * | DRY_RUN                     | `true`: config-sync computes and logs changes but writes nothing         | false                      |
 * | WEBHOOK_SECRET_ARN          | Secret holding `{"sharedSecret"[, "previousSharedSecret"]}` for webhook callers | required by webhook-receiver |
 * | WEBHOOK_SECRET_HEADER       | Request header carrying the shared secret                                 | x-genesys-webhook-secret   |
 * | WEBHOOK_MAX_BODY_BYTES      | Larger webhook bodies are refused with 413                                | 65536                      |
 * | WEBHOOK_MAX_CLOCK_SKEW_SECONDS | Webhook timestamps further in the future are refused with 400         | 300                        |
 * | WEBHOOK_ACTIONS             | JSON array of the actions webhooks may trigger (webhook-receiver/actions.ts) | required by webhook-receiver |
 * | WEBHOOK_STATE_TABLE_NAME    | DynamoDB table of per-resource event ordering and cooldown state          | required by webhook-receiver |
 * | WEBHOOK_CLAIM_LEASE_SECONDS | How long an event being applied blocks others for its resource (crash recovery) | 60                  |
 * | WEBHOOK_CONSUMPTION_READ_TIMEOUT_MS | Deadline of the CloudWatch read of a table's consumption, retries included (then 503) | 5000   |
 * | POWERTOOLS_SERVICE_NAME     | Service name in every log line (read by Powertools)                      | the function name          |
 * | LOG_LEVEL                   | DEBUG, INFO, WARN, ERROR (read by Powertools)                            | INFO                       |
 * | POWERTOOLS_METRICS_NAMESPACE | Namespace of the business metrics (metrics.ts); unset: none emitted      | set by the stack: GenesysVault/<env> |
 * | AWS_ENDPOINT_URL_<SERVICE>  | AWS SDK endpoint override (tests point clients at local stand-ins)       | AWS endpoints              |
 */

/** Every variable a function may read, with its default (undefined = required when read). */
export const ENVIRONMENT_VARIABLES = {
  GENESYS_REGION_DOMAIN: { default: undefined },
  GENESYS_API_BASE_URL: { default: undefined },
  GENESYS_LOGIN_BASE_URL: { default: undefined },
  GENESYS_SECRET_ARN: { default: undefined },
  GENESYS_REQUEST_TIMEOUT_MS: { default: "10000" },
  AZURE_VAULT_SECRET_ARN: { default: undefined },
  AZURE_VAULT_LISTER_SECRET_ARN: { default: undefined },
  TIME_GUARD_MS: { default: "10000" },
  RECONCILE_WINDOW_HOURS: { default: "24" },
  RECONCILE_SETTLE_MINUTES: { default: "60" },
  RECONCILE_SLICE_MINUTES: { default: "60" },
  RECONCILE_MAX_CONVERSATION_DAYS: { default: "30" },
  RECONCILE_REQUESTS_PER_MINUTE: { default: "60" },
  RECONCILE_PAGE_SIZE: { default: "100" },
  ARCHIVER_QUEUE_URL: { default: undefined },
  AZURE_VAULT_AUTH: { default: "sas" },
  AZURE_AUTHORITY_HOST: { default: "https://login.microsoftonline.com" },
  AZURE_REQUEST_TIMEOUT_MS: { default: "20000" },
  AZURE_MAX_TRIES: { default: "3" },
  MAX_EVENT_BYTES: { default: "1048576" },
  SECRETS_CACHE_TTL_SECONDS: { default: "300" },
  IDEMPOTENCY_TABLE_NAME: { default: undefined },
  STATE_MACHINE_ARN: { default: undefined },
  INTERACTION_ATTRIBUTE_PREFIX: { default: "aws_" },
  INTERACTION_IDEMPOTENCY_TTL_SECONDS: { default: "345600" },
  SLOTS_TABLE_NAME: { default: undefined },
  MAX_RUNNING_EXECUTIONS: { default: "5" },
  MAX_EVENT_AGE_SECONDS: { default: "86400" },
  GENESYS_REQUESTS_PER_MINUTE: { default: "300" },
  INTAKE_QUEUE_URL: { default: undefined },
  DEAD_LETTER_QUEUE_URL: { default: undefined },
  FAILURE_QUEUE_URL: { default: undefined },
  SYNC_RULES: { default: undefined },
  AUDIT_TABLE_NAME: { default: undefined },
  DRY_RUN: { default: "false" },
  WEBHOOK_SECRET_ARN: { default: undefined },
  WEBHOOK_SECRET_HEADER: { default: "x-genesys-webhook-secret" },
  WEBHOOK_MAX_BODY_BYTES: { default: "65536" },
  WEBHOOK_MAX_CLOCK_SKEW_SECONDS: { default: "300" },
  WEBHOOK_ACTIONS: { default: undefined },
  WEBHOOK_STATE_TABLE_NAME: { default: undefined },
  WEBHOOK_CLAIM_LEASE_SECONDS: { default: "60" },
  WEBHOOK_CONSUMPTION_READ_TIMEOUT_MS: { default: "5000" },
} as const satisfies Record<string, { default: string | undefined }>;

/** Name of a variable listed in {@link ENVIRONMENT_VARIABLES}. */
export type EnvironmentVariable = keyof typeof ENVIRONMENT_VARIABLES;

/** A missing or invalid environment variable: a deployment error, reported once, clearly. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Record<string, string | undefined>;

/** The variable's value, or its default; throws {@link ConfigError} if required and unset. */
export function requireEnv(name: EnvironmentVariable, env: Env = process.env): string {
  const value = optionalEnv(name, env);
  if (value === undefined) throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

/** The variable's value, or its default (possibly undefined). Blank counts as unset. */
export function optionalEnv(name: EnvironmentVariable, env: Env = process.env): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : ENVIRONMENT_VARIABLES[name].default;
}

/** A positive integer variable (or its default). */
export function intEnv(name: EnvironmentVariable, env: Env = process.env): number {
  const raw = requireEnv(name, env);
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new ConfigError(`environment variable ${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

/** A boolean variable: `true` or `false` (any case), or its default. */
export function booleanEnv(name: EnvironmentVariable, env: Env = process.env): boolean {
  const raw = requireEnv(name, env).toLowerCase();
  if (raw !== "true" && raw !== "false") throw new ConfigError(`environment variable ${name} must be "true" or "false", got "${raw}"`);
  return raw === "true";
}

/** Settings a function needs to build a Genesys client. */
export interface GenesysSettings {
  domain: string;
  apiBaseUrl: string;
  loginBaseUrl: string;
  secretArn: string;
  requestTimeoutMs: number;
}

/** Reads and validates the Genesys variables. */
export function genesysSettings(env: Env = process.env): GenesysSettings {
  const domain = requireEnv("GENESYS_REGION_DOMAIN", env);
  if (!/^[a-z0-9]+([.-][a-z0-9]+)*\.[a-z]{2,}$/i.test(domain)) {
    throw new ConfigError(`GENESYS_REGION_DOMAIN must be a domain such as mypurecloud.com, got "${domain}"`);
  }
  return {
    domain,
    apiBaseUrl: urlEnv("GENESYS_API_BASE_URL", env) ?? `https://api.${domain}`,
    loginBaseUrl: urlEnv("GENESYS_LOGIN_BASE_URL", env) ?? `https://login.${domain}`,
    secretArn: requireEnv("GENESYS_SECRET_ARN", env),
    requestTimeoutMs: intEnv("GENESYS_REQUEST_TIMEOUT_MS", env),
  };
}

/** Settings of the Azure vault writer. */
export interface VaultSettings {
  secretArn: string;
  listerSecretArn?: string;
  requestTimeoutMs: number;
  maxTries: number;
  auth: "federated" | "sas";
  authorityHost: string;
}

/** Settings of the reconciler's list-only vault credential (same mode and limits as the writer's). */
export function vaultListerSettings(env: Env = process.env): Omit<VaultSettings, "listerSecretArn"> {
  return {
    secretArn: requireEnv("AZURE_VAULT_LISTER_SECRET_ARN", env),
    requestTimeoutMs: intEnv("AZURE_REQUEST_TIMEOUT_MS", env),
    maxTries: intEnv("AZURE_MAX_TRIES", env),
    auth: vaultAuthEnv(env),
    authorityHost: urlEnv("AZURE_AUTHORITY_HOST", env)!,
  };
}

/** Reads and validates the Azure vault variables. */
export function vaultSettings(env: Env = process.env): VaultSettings {
  return {
    secretArn: requireEnv("AZURE_VAULT_SECRET_ARN", env),
    listerSecretArn: optionalEnv("AZURE_VAULT_LISTER_SECRET_ARN", env),
    requestTimeoutMs: intEnv("AZURE_REQUEST_TIMEOUT_MS", env),
    maxTries: intEnv("AZURE_MAX_TRIES", env),
    auth: vaultAuthEnv(env),
    authorityHost: urlEnv("AZURE_AUTHORITY_HOST", env)!,
  };
}

function vaultAuthEnv(env: Env): "federated" | "sas" {
  const value = optionalEnv("AZURE_VAULT_AUTH", env);
  if (value === "federated" || value === "sas") return value;
  throw new ConfigError(`environment variable AZURE_VAULT_AUTH must be "federated" or "sas", got "${value}"`);
}

function urlEnv(name: EnvironmentVariable, env: Env): string | undefined {
  const value = optionalEnv(name, env);
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
  } catch {
    throw new ConfigError(`environment variable ${name} must be an http(s) URL, got "${value}"`);
  }
  return value.replace(/\/+$/, "");
}
