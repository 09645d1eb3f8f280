import { readFileSync } from "node:fs";
import path from "node:path";
import { Testing } from "cdktf";
import { eventBridgeTopics } from "../../constructs/genesys/pipeline-clients";
import type { EnvironmentConfig } from "../../config/types";
import { addEnvironment } from "../../stacks/environment";
import { QUEUE_FIELD_RULE } from "../support/sync-events";
import { checkStackAgainstSchema } from "../support/genesys-schema";
import { resourcesOf, sampleEnv, synthEnvironments, synthStacks, type TfJson } from "../support/synth-app";

const dev = sampleEnv("dev");
/** The environment without its webhook trigger (overrides cannot remove a key). */
const withoutTrigger = (env: EnvironmentConfig): EnvironmentConfig => ({ ...env, genesysStack: { ...env.genesysStack, webhookTrigger: undefined } });
const { stacks, app } = synthEnvironments([dev]);
const aws = stacks["dev-aws"];
const genesys = stacks["dev-genesys"];
const actions = stacks["dev-genesys-actions"];

/** Topics of every rule on the partner event bus, from the synthesized AWS stack. */
function partnerBusRuleTopics(awsStack: TfJson): string[] {
  const busId = Object.keys(resourcesOf(awsStack, "aws_cloudwatch_event_bus"))[0];
  const rules = Object.values(resourcesOf(awsStack, "aws_cloudwatch_event_rule")).filter((r: any) => r.event_bus_name === `\${aws_cloudwatch_event_bus.${busId}.name}`);
  expect(rules.length).toBeGreaterThan(0);
  return [...new Set(rules.flatMap((r: any) => JSON.parse(r.event_pattern)["detail-type"] as string[]))].sort();
}
const integrationProperties = (stack: TfJson) =>
  JSON.parse((Object.values(resourcesOf(stack, "genesyscloud_integration")).find((i: any) => i.integration_type === "amazon-eventbridge-source") as any).config[0].properties);
const roleOf = (pipeline: string) => Object.entries(resourcesOf(genesys, "genesyscloud_auth_role")).find(([, r]: any) => r.name === `gcv-dev-${pipeline}`)!;
const permissionsOf = (role: any) => (role.permission_policies ?? []).flatMap((p: any) => p.action_set.map((a: string) => `${p.domain}:${p.entity_name}:${a}`)).sort();

describe("<env>-genesys: the EventBridge integration", () => {
  test("is the amazon-eventbridge-source type, enabled, for the environment's account, region and suffix", () => {
    const integration = Object.values(resourcesOf(genesys, "genesyscloud_integration"))[0] as any;
    expect(integration).toMatchObject({ integration_type: "amazon-eventbridge-source", intended_state: "ENABLED" });
    expect(integrationProperties(genesys)).toMatchObject({ eventSourceSuffix: "vault-dev", awsAccountId: "111111111111", awsAccountRegion: "eu-west-1" });
  });

  test("its eventFilter equals the union of every partner-bus rule's topics", () => {
    expect(integrationProperties(genesys).eventFilter).toEqual(partnerBusRuleTopics(aws));
  });

  test("a topic added to a pipeline reaches both the AWS rule and the integration filter", () => {
    const env = sampleEnv("dev", { pipelines: { transcriptVault: { topics: ["v2.conversations.{id}.transcription", "v2.detail.events.conversation.{id}.acw"] } } } as any);
    const s = synthStacks([env]);
    expect(integrationProperties(s["dev-genesys"]).eventFilter).toEqual(partnerBusRuleTopics(s["dev-aws"]));
    expect(integrationProperties(s["dev-genesys"]).eventFilter).toContain("v2.detail.events.conversation.{id}.acw");
    expect(eventBridgeTopics(env)).toEqual(integrationProperties(s["dev-genesys"]).eventFilter);
  });
});

describe("<env>-genesys: one least-privilege role and OAuth client per pipeline", () => {
  test("one role and one client for each pipeline that calls Genesys", () => {
    expect(Object.values(resourcesOf(genesys, "genesyscloud_auth_role")).map((r: any) => r.name).sort()).toEqual(["gcv-dev-config-sync", "gcv-dev-interaction", "gcv-dev-transcript-vault"]);
    expect(Object.values(resourcesOf(genesys, "genesyscloud_oauth_client")).map((c: any) => c.name).sort()).toEqual(["gcv-dev-config-sync", "gcv-dev-interaction", "gcv-dev-transcript-vault"]);
  });

  test("each client is client-credentials, uses only its own role, and keeps no secret in state", () => {
    for (const [, client] of Object.entries(resourcesOf(genesys, "genesyscloud_oauth_client")) as [string, any][]) {
      const [roleId] = roleOf(client.name.replace("gcv-dev-", ""));
      expect(client).toMatchObject({ authorized_grant_type: "CLIENT-CREDENTIALS", expose_client_secret: false, state: "active" });
      expect(client.roles).toEqual([{ role_id: `\${genesyscloud_auth_role.${roleId}.id}` }]);
      expect(client).not.toHaveProperty("client_secret");
      expect(client).not.toHaveProperty("directory_client_secret");
    }
    expect(JSON.stringify(genesys.output)).not.toMatch(/client_secret/);
  });

  test("tokens live one hour by default, not Genesys' 24 h; the lifetime is configurable", () => {
    const lifetimes = (g: TfJson) => Object.values(resourcesOf(g, "genesyscloud_oauth_client")).map((c: any) => c.access_token_validity_seconds);
    expect(lifetimes(genesys)).toEqual([3600, 3600, 3600]);
    const env = sampleEnv("dev", { genesysStack: { accessTokenValiditySeconds: 900 } } as any);
    expect(lifetimes(synthStacks([env])["dev-genesys"])).toEqual([900, 900, 900]);
  });

  test("the transcript vault role can only view recordings and, for the reconciler, conversation details; config sync's only manage utilization (its sample targets)", () => {
    expect(permissionsOf(roleOf("transcript-vault")[1])).toEqual(["analytics:conversationDetail:view", "recording:recording:view"]);
    expect(permissionsOf(roleOf("config-sync")[1])).toEqual(["routing:utilization:manage"]);
  });

  test("the interaction role grants nothing unverified, and says so at synth", () => {
    expect(permissionsOf(roleOf("interaction")[1])).toEqual([]);
    const warnings = app.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === "@cdktf/warn")
      .map((m) => String(m.data));
    expect(warnings.some((w) => w.startsWith("interaction: its role grants no permission"))).toBe(true);
  });

  test("queue targets add exactly queue view and edit; additional permissions are added where configured", () => {
    const env = sampleEnv("dev", {
      genesysStack: { additionalPermissions: { interaction: ["conversation:communication:view"] } },
      pipelines: { configSync: { rules: [QUEUE_FIELD_RULE] } },
    } as any);
    const g = synthStacks([env])["dev-genesys"];
    const perms = (name: string) => permissionsOf(Object.values(resourcesOf(g, "genesyscloud_auth_role")).find((r: any) => r.name === name));
    expect(perms("gcv-dev-config-sync")).toEqual(["routing:queue:edit", "routing:queue:view"]);
    expect(perms("gcv-dev-interaction")).toEqual(["conversation:communication:view"]);
    expect(perms("gcv-dev-transcript-vault")).toEqual(["analytics:conversationDetail:view", "recording:recording:view"]);
  });

  test("without the reconciler the transcript vault role cannot query analytics", () => {
    const env = sampleEnv("dev", { pipelines: { transcriptVault: { reconciler: { enabled: false } } } } as any);
    const g = synthStacks([env])["dev-genesys"];
    const role = Object.values(resourcesOf(g, "genesyscloud_auth_role")).find((r: any) => r.name === "gcv-dev-transcript-vault");
    expect(permissionsOf(role)).toEqual(["recording:recording:view"]);
  });

  test("without sync rules there is no config-sync client (nor its AWS secret)", () => {
    const env = sampleEnv("dev", { pipelines: { configSync: { rules: [] } } } as any);
    const s = synthStacks([env]);
    expect(Object.values(resourcesOf(s["dev-genesys"], "genesyscloud_oauth_client")).map((c: any) => c.name).sort()).toEqual(["gcv-dev-interaction", "gcv-dev-transcript-vault"]);
    expect(Object.values(resourcesOf(s["dev-aws"], "aws_secretsmanager_secret")).map((x: any) => x.name)).not.toContain("gcv-dev/genesys-config-sync");
  });
});

describe("<env>-genesys-actions: the webhook data action", () => {
  const action = () => Object.values(resourcesOf(actions, "genesyscloud_integration_action"))[0] as any;

  test("POSTs to the AWS webhook URL, taken from <env>-aws by cross-stack reference", () => {
    const request = action().config_request[0];
    expect(request.request_type).toBe("POST");
    const m = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-dev-aws\.outputs\.([\w-]+)\}\/genesys\/events$/.exec(request.request_url_template);
    expect(m).not.toBeNull();
    const api = Object.keys(resourcesOf(aws, "aws_apigatewayv2_api"))[0];
    expect(aws.output![m![1]].value).toBe(`\${aws_apigatewayv2_api.${api}.api_endpoint}`);
  });

  test("sends the shared secret header from the credential, as a Velocity reference, never a value", () => {
    const request = action().config_request[0];
    expect(request.headers).toEqual({ "Content-Type": "application/json", "x-genesys-webhook-secret": "$${credentials.sharedSecret}" });
    expect(request.request_template).toBe("$${input.rawRequest}");
    const credential = Object.values(resourcesOf(actions, "genesyscloud_integration_credential"))[0] as any;
    expect(credential.credential_type_name).toBe("userDefined");
    const integration = Object.entries(resourcesOf(actions, "genesyscloud_integration"))[0];
    expect((integration[1] as any).config[0].credentials).toEqual({ basicAuth: `\${genesyscloud_integration_credential.${Object.keys(resourcesOf(actions, "genesyscloud_integration_credential"))[0]}.id}` });
    expect(action().integration_id).toBe(`\${genesyscloud_integration.${integration[0]}.id}`);
  });

  test("the provider cannot be switched to debug logging (which writes request bodies) by the environment", () => {
    for (const stack of [genesys, actions]) expect(stack.provider!.genesyscloud).toEqual([{ aws_region: "eu-west-1", sdk_debug: false, log_stack_traces: false }]);
  });

  test("never reads the shared secret: the credential is created without a value, keeps the one an operator puts, and its id is an output", () => {
    // A plan must read no secret value (the plan role cannot), so nothing here reads Secrets Manager.
    expect(actions.data?.aws_secretsmanager_secret_version).toBeUndefined();
    expect(actions.provider?.aws).toBeUndefined();
    const [id, credential] = Object.entries(resourcesOf(actions, "genesyscloud_integration_credential"))[0] as [string, any];
    expect(credential).not.toHaveProperty("fields");
    expect(credential.lifecycle).toEqual({ ignore_changes: ["fields"] });
    expect(actions.output!.webhook_credential_id.value).toBe(`\${genesyscloud_integration_credential.${id}.id}`);
    expect(JSON.stringify(actions)).not.toMatch(/secret_string|sharedSecret"|secretsmanager/);
  });

  test("its input contract is the webhook contract, with the configured actions only", () => {
    const input = JSON.parse(action().contract_input);
    expect(input.required).toEqual(["eventId", "resourceId", "timestamp", "action", "signal"]);
    expect(input.additionalProperties).toBe(false);
    expect(input.properties.action.enum).toEqual(["orders-table-follows-queue-depth"]);
    expect(action()).toMatchObject({ secure: true, config_timeout_seconds: 15 });
  });

  test("the configured trigger starts the workflow on its topic and criteria", () => {
    expect(Object.values(resourcesOf(actions, "genesyscloud_processautomation_trigger"))).toEqual([
      expect.objectContaining({
        name: "gcv-dev-webhook",
        topic_name: "v2.detail.events.conversation.{id}.acd.start",
        enabled: true,
        target: [{ id: "7b2e4c1d-9a3f-4e5b-8c6d-1f2a3b4c5d6e", type: "Workflow" }],
        match_criteria: '[{"jsonPath":"mediaType","operator":"Equal","value":"MESSAGE"}]',
        event_ttl_seconds: 60,
      }),
    ]);
    expect(resourcesOf(synthStacks([withoutTrigger(dev)])["dev-genesys-actions"], "genesyscloud_processautomation_trigger")).toEqual({});
  });

  test("a delayed trigger with a data format writes delay_by_seconds and the target's workflow_target_settings, and no TTL", () => {
    const trigger = { ...dev.genesysStack.webhookTrigger!, eventTtlSeconds: undefined, delayBySeconds: 120, dataFormat: "Json" as const };
    const s = synthStacks([{ ...dev, genesysStack: { ...dev.genesysStack, webhookTrigger: trigger } }])["dev-genesys-actions"];
    const t = Object.values(resourcesOf(s, "genesyscloud_processautomation_trigger"))[0] as any;
    expect(t.delay_by_seconds).toBe(120);
    expect(t).not.toHaveProperty("event_ttl_seconds");
    expect(t.target).toEqual([{ id: trigger.workflowId, type: "Workflow", workflow_target_settings: [{ data_format: "Json" }] }]);
    expect(checkStackAgainstSchema(s)).toEqual([]);
  });
});

describe("stack order without cycles", () => {
  const manifest = JSON.parse(readFileSync(path.join(app.outdir, "manifest.json"), "utf8"));
  const deps = (name: string): string[] => [...(manifest.stacks[name].dependencies ?? [])].sort();

  test("genesys comes first, aws after it, azure and genesys-actions after aws", () => {
    expect(deps("dev-genesys")).toEqual([]);
    expect(deps("dev-aws")).toEqual(["dev-genesys"]);
    expect(deps("dev-azure")).toEqual(["dev-aws"]);
    expect(deps("dev-genesys-actions")).toEqual(["dev-aws"]);
  });

  test("the dependency graph has a topological order (no cycle)", () => {
    const names = Object.keys(manifest.stacks);
    const done: string[] = [];
    while (done.length < names.length) {
      const next = names.find((n) => !done.includes(n) && deps(n).every((d) => done.includes(d)));
      expect(next).toBeDefined();
      done.push(next!);
    }
    expect(done.indexOf("dev-genesys")).toBeLessThan(done.indexOf("dev-aws"));
    expect(done.indexOf("dev-aws")).toBeLessThan(done.indexOf("dev-genesys-actions"));
  });

  test("<env>-genesys reads no other stack, and <env>-aws reads no Genesys stack", () => {
    expect(genesys.data?.terraform_remote_state).toBeUndefined();
    expect(aws.data?.terraform_remote_state).toBeUndefined();
  });
});

describe("opt-in per environment", () => {
  test("an environment without genesysStack.enabled synthesizes only its AWS and Azure stacks", () => {
    const s = synthStacks([sampleEnv("staging")]);
    expect(Object.keys(s).sort()).toEqual(["staging-aws", "staging-azure"]);
  });

  test("without webhook actions there is no data-action stack", () => {
    const env = withoutTrigger(sampleEnv("dev"));
    const built = addEnvironment(Testing.app(), { ...env, pipelines: { ...env.pipelines, webhook: { ...env.pipelines.webhook, actions: [] } } });
    expect(built.genesys).toBeDefined();
    expect(built.genesysActions).toBeUndefined();
  });
});
