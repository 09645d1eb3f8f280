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
    maxConcurrency: 5,
    maxReceiveCount: 5,
    timeoutSeconds: 30,
    memoryMb: 256,
    processorTimeoutSeconds: 20,
    attributePrefix: "vault.",
  },
};

/** Fills in pipeline defaults; everything else must be given. */
export function applyDefaults(env: EnvironmentInput): EnvironmentConfig {
  return { ...env, pipelines: deepMerge(PIPELINE_DEFAULTS, env.pipelines ?? {}) };
}
