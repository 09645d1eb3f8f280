import type { EnvironmentConfig, EnvironmentInput, PipelinesConfig } from "./types";
import { deepMerge } from "./merge";

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
      lookbackHours: 24,
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
    // Executions start at once, so the backlog moves into the workflow: the dispatcher needs little.
    maxConcurrency: 2,
    maxReceiveCount: 5,
    timeoutSeconds: 30,
    memoryMb: 256,
    processorTimeoutSeconds: 30,
    processorConcurrency: 5,
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

/** Fills in pipeline defaults; everything else must be given. */
export function applyDefaults(env: EnvironmentInput): EnvironmentConfig {
  return { ...env, pipelines: deepMerge(PIPELINE_DEFAULTS, env.pipelines ?? {}) };
}
