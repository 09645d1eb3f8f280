import type { EnvironmentConfig, EnvironmentInput, GenesysStackConfig, PipelinesConfig } from "./types";
import { deepMerge, isPlainObject } from "./merge";

/** Pipeline settings used where an environment leaves them out (documented in the README). */
export const PIPELINE_DEFAULTS: PipelinesConfig = {
  transcriptVault: {
    topics: ["v2.conversations.{id}.transcription", "v2.detail.events.conversation.{id}.customer.end"],
    batchSize: 10,
    batchWindowSeconds: 2,
    maxConcurrency: 50,
    maxReceiveCount: 5,
    timeoutSeconds: 120,
    memoryMb: 512,
    maxEventBytes: 1024 * 1024,
    timeGuardSeconds: 10,
    reconciler: {
      enabled: true,
      schedule: "cron(0 3 * * ? *)",
      windowHours: 48,
      settleMinutes: 60,
      sliceMinutes: 60,
      maxConversationDays: 30,
      requestsPerMinute: 60,
      pageSize: 100,
      dryRun: false,
      timeoutSeconds: 900,
      memoryMb: 512,
    },
  },
  interaction: {
    topics: [
      "v2.detail.events.conversation.{id}.customer.start",
      "v2.detail.events.conversation.{id}.acd.end",
      "v2.detail.events.conversation.{id}.user.end",
      "v2.detail.events.conversation.{id}.wrapup",
    ],
    batchSize: 10,
    batchWindowSeconds: 1,
    // Executions start only while a slot is free, so the dispatcher needs little concurrency.
    maxConcurrency: 2,
    // A floor: the queue's count is raised to what maxEventAgeSeconds needs (shared/interaction-backpressure.ts).
    maxReceiveCount: 5,
    timeoutSeconds: 30,
    memoryMb: 256,
    processorTimeoutSeconds: 30,
    processorConcurrency: 5,
    // Replaced by processorConcurrency when an environment leaves it out (applyDefaults).
    maxRunningExecutions: 5,
    maxEventAgeSeconds: 86_400,
    genesysRequestsPerMinute: 300,
    attributePrefix: "aws_",
  },
  configSync: {
    rules: [],
    reconcileEveryMinutes: 15,
    dryRun: false,
    // FIFO: at most 10 per batch and no batching window.
    batchSize: 10,
    batchWindowSeconds: 0,
    maxConcurrency: 2,
    // A failing message blocks its message group while it is retried: keep this low.
    maxReceiveCount: 3,
    timeoutSeconds: 60,
    memoryMb: 256,
  },
  webhook: {
    actions: [],
    throttleRateLimit: 10,
    throttleBurstLimit: 20,
    maxBodyBytes: 64 * 1024,
    secretHeaderName: "x-genesys-webhook-secret",
    maxClockSkewSeconds: 300,
    timeoutSeconds: 10,
    memoryMb: 256,
  },
};

/** The Genesys side stays manual unless an environment opts in. */
export const GENESYS_STACK_DEFAULTS: GenesysStackConfig = {
  enabled: false,
  // One hour, not Genesys' 24 h default: a leaked token is useful for less time, and the
  // functions fetch a new token when theirs expires (functions/shared/genesys-client.ts).
  accessTokenValiditySeconds: 3_600,
};

/** Operational settings used where an environment leaves them out. */
export const OPERATIONS_DEFAULTS = {
  /** genesys.maxSilenceMinutes */
  maxSilenceMinutes: 60,
  /** azure.sasExpiryWarningDays */
  sasExpiryWarningDays: 7,
} as const;

/** Fills in pipeline and Genesys-stack defaults; everything else must be given. */
export function applyDefaults(env: EnvironmentInput): EnvironmentConfig {
  const pipelines = deepMerge(PIPELINE_DEFAULTS, env.pipelines ?? {});
  // Left out, the backpressure limit follows the processor's reserved concurrency: one running
  // execution per processor instance, so no execution waits on a throttled Lambda.
  const interaction =
    env.pipelines?.interaction?.maxRunningExecutions === undefined
      ? { ...pipelines.interaction, maxRunningExecutions: pipelines.interaction.processorConcurrency }
      : pipelines.interaction;
  return { ...env, pipelines: { ...pipelines, interaction }, genesysStack: deepMerge(GENESYS_STACK_DEFAULTS, env.genesysStack ?? {}) };
}

/**
 * A list in the config replaces the default list whole (lists are never merged).
 * Returns one warning per default list the environment replaces while leaving
 * default entries out, naming them, so that dropping a default is never silent.
 * @example replacedDefaultLists({ ...env, pipelines: { transcriptVault: { topics: ["v2.conversations.{id}.transcription"] } } })
 * // ['pipelines.transcriptVault.topics replaces the default list and leaves out "v2.detail.events.conversation.{id}.customer.end"; ...']
 */
export function replacedDefaultLists(env: EnvironmentInput): string[] {
  const warnings: string[] = [];
  const walk = (defaults: unknown, given: unknown, path: string): void => {
    if (Array.isArray(defaults)) {
      if (!Array.isArray(given)) return;
      const kept = new Set(given.map((g) => JSON.stringify(g)));
      const dropped = defaults.filter((d) => !kept.has(JSON.stringify(d)));
      if (dropped.length) {
        warnings.push(
          `${path} replaces the default list and leaves out ${dropped.map((d) => JSON.stringify(d)).join(", ")}; lists are not merged, so list every entry you want (defaults included)`,
        );
      }
      return;
    }
    if (isPlainObject(defaults) && isPlainObject(given)) for (const key of Object.keys(defaults)) walk(defaults[key], given[key], `${path}.${key}`);
  };
  walk(PIPELINE_DEFAULTS, env.pipelines, "pipelines");
  return warnings;
}

/** Tags every environment gets unless it sets them; `environment` follows the environment's name. */
export const DEFAULT_TAGS = { project: "genesys-cloud-vault", "managed-by": "cdktf" } as const;

/** `genesys.eventSourceSuffix` of an environment that leaves it out. */
export const defaultEventSourceSuffix = (name: string) => `vault-${name}`;

/**
 * Fills in the values bound to the environment's name (`tags.environment`,
 * `genesys.eventSourceSuffix`) where they are left out, and warns where a given one
 * names another environment: what a copied config file keeps from the original.
 */
export function nameBoundValues(env: EnvironmentInput, warn: (message: string) => void): EnvironmentInput {
  const { name } = env;
  const tags = isPlainObject(env.tags) ? env.tags : undefined;
  const genesys = isPlainObject(env.genesys) ? env.genesys : undefined;
  if (tags?.environment !== undefined && tags.environment !== name) {
    warn(`tags.environment is "${tags.environment}", not "${name}": copied from another environment? Leave it out to follow the name`);
  }
  const suffix = genesys?.eventSourceSuffix;
  if (typeof suffix === "string" && !suffix.includes(name)) {
    warn(`genesys.eventSourceSuffix "${suffix}" does not name "${name}": copied from another environment? Leave it out for "${defaultEventSourceSuffix(name)}", or keep it if the Genesys integration really uses it`);
  }
  return {
    ...env,
    tags: tags ? { environment: name, ...tags } : { ...DEFAULT_TAGS, environment: name },
    ...(genesys ? { genesys: { ...genesys, eventSourceSuffix: suffix ?? defaultEventSourceSuffix(name) } } : {}),
  } as EnvironmentInput;
}
