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

/** Fills in pipeline defaults; everything else must be given. */
export function applyDefaults(env: EnvironmentInput): EnvironmentConfig {
  return { ...env, pipelines: deepMerge(PIPELINE_DEFAULTS, env.pipelines ?? {}) };
}
