/**
 * Which pipelines call the Genesys API, the least permissions each needs, the
 * AWS secret that holds each one's OAuth client, and the topics the
 * EventBridge integration must send: one definition, read by `<env>-aws`
 * (secrets, rules) and by `<env>-genesys` (roles, clients, event filter).
 */
import type { EnvironmentConfig } from "../../config/types";

/** Pipelines whose functions call the Genesys API, each with its own OAuth client and secret. */
export const GENESYS_CLIENT_PIPELINES = ["transcript-vault", "interaction", "config-sync"] as const;
export type GenesysClientPipeline = (typeof GENESYS_CLIENT_PIPELINES)[number];

/** The config key of each pipeline, for `genesysStack.additionalPermissions`. */
export const PIPELINE_CONFIG_KEYS = { "transcript-vault": "transcriptVault", interaction: "interaction", "config-sync": "configSync" } as const;

/** `gcv-<env>/genesys-<pipeline>`: the Secrets Manager secret holding that pipeline's `{"clientId","clientSecret"}`. */
export function genesysClientSecretName(awsPrefix: string, pipeline: GenesysClientPipeline): string {
  return `${awsPrefix}/genesys-${pipeline}`;
}

/** The pipelines the environment deploys that call Genesys (config sync only with rules). */
export function deployedClientPipelines(env: EnvironmentConfig): GenesysClientPipeline[] {
  return GENESYS_CLIENT_PIPELINES.filter((p) => p !== "config-sync" || env.pipelines.configSync.rules.length > 0);
}

/** A permission the role grants, and the API call that needs it (for docs and review). */
export interface RequiredPermission {
  /** `domain:entity:action`, as Genesys writes them. */
  readonly permission: string;
  readonly because: string;
}

/**
 * The least permissions each pipeline's role needs, from the "Requires ANY/ALL
 * permissions" lines of the Genesys platform SDK docs for each call (the vault
 * reconciler's analytics query counts as the transcript vault pipeline's). Config sync
 * gets only what its configured targets need. The interaction processor's one
 * call (PATCH participant attributes) lists no permission in those docs, so
 * none is granted here: see docs/genesys-as-code.md and
 * `genesysStack.additionalPermissions`.
 */
export function requiredPermissions(env: EnvironmentConfig, pipeline: GenesysClientPipeline): RequiredPermission[] {
  const extra = (env.genesysStack.additionalPermissions?.[PIPELINE_CONFIG_KEYS[pipeline]] ?? []).map((permission) => ({ permission, because: "genesysStack.additionalPermissions" }));
  const base: RequiredPermission[] = [];
  if (pipeline === "transcript-vault") {
    base.push({ permission: "recording:recording:view", because: "GET /api/v2/conversations/{id}/recordings" });
    // The vault reconciler uses this pipeline's client: it checks the same conversations the archiver archives.
    if (env.pipelines.transcriptVault.reconciler.enabled) {
      base.push({ permission: "analytics:conversationDetail:view", because: "POST /api/v2/analytics/conversations/details/query (vault reconciler)" });
    }
  }
  if (pipeline === "config-sync") {
    const kinds = new Set(env.pipelines.configSync.rules.map((r) => r.target.kind));
    if (kinds.has("orgUtilization") || kinds.has("userUtilization")) {
      base.push({ permission: "routing:utilization:manage", because: "GET/PUT /api/v2/routing/utilization and /api/v2/routing/users/{userId}/utilization" });
    }
    if (kinds.has("queueField")) {
      base.push({ permission: "routing:queue:view", because: "GET /api/v2/routing/queues/{queueId}" });
      base.push({ permission: "routing:queue:edit", because: "PUT /api/v2/routing/queues/{queueId}" });
    }
  }
  const seen = new Set<string>();
  return [...base, ...extra].filter((p) => !seen.has(p.permission) && seen.add(p.permission));
}

/** Groups `domain:entity:action` permissions into the provider's `permission_policies` blocks, sorted for stable output. */
export function permissionPolicies(permissions: readonly string[]): { domain: string; entity_name: string; action_set: string[] }[] {
  const byEntity = new Map<string, Set<string>>();
  for (const p of permissions) {
    const [domain, entity, action] = p.split(":");
    const key = `${domain}:${entity}`;
    if (!byEntity.has(key)) byEntity.set(key, new Set());
    byEntity.get(key)!.add(action);
  }
  return [...byEntity.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, actions]) => {
      const [domain, entity_name] = key.split(":");
      return { domain, entity_name, action_set: [...actions].sort() };
    });
}

/**
 * Every topic the AWS rules on the partner bus match: the EventBridge
 * integration's `eventFilter` is exactly this list, so the two cannot drift.
 */
export function eventBridgeTopics(env: EnvironmentConfig): string[] {
  return [...new Set([...env.pipelines.transcriptVault.topics, ...env.pipelines.interaction.topics])].sort();
}

/** Configuration owns the region table; constructs read it from there. */
export { GENESYS_PROVIDER_REGIONS } from "../../config/types";
