import { type App, TerraformStack, Testing } from "cdktf";
import { GenesysAuthRole, GenesysIntegration, GenesysOAuthClient, GenesysProvider, GENESYS_PROVIDER_VERSION, matchCriteriaJson } from "../../../constructs/genesys/bindings";
import { GENESYS_PROVIDER_REGIONS, GENESYS_REGION_DOMAINS } from "../../../config/types";
import { sampleEnv, synthStacks, type TfJson } from "../../support/synth-app";
import { QUEUE_FIELD_RULE } from "../../support/sync-events";
import { checkBlock, checkStackAgainstSchema, GENESYS_SCHEMA } from "../../support/genesys-schema";

/** Every environment shape that changes which Genesys resources and attributes are written. */
const variants = [
  sampleEnv("dev"),
  sampleEnv("staging", {
    genesysStack: { enabled: true, additionalPermissions: { interaction: ["conversation:communication:view"] }, accessTokenValiditySeconds: 3600 },
    pipelines: { configSync: { rules: [QUEUE_FIELD_RULE] } } as any,
  }),
];
const stacks: Record<string, TfJson> = {};
for (const env of variants) Object.assign(stacks, synthStacks([env]));
const genesysStacks = Object.entries(stacks).filter(([name]) => name.includes("-genesys"));

describe("typed genesyscloud bindings", () => {
  test("the variants cover every resource type in the schema file", () => {
    const used = new Set(genesysStacks.flatMap(([, s]) => Object.keys(s.resource ?? {}).filter((t) => t.startsWith("genesyscloud_"))));
    expect([...used].sort()).toEqual(Object.keys(GENESYS_SCHEMA.resources).sort());
  });

  test.each(genesysStacks.map(([name]) => name))("%s: every synthesized attribute and block is in the provider schema, with its type", (name) => {
    expect(checkStackAgainstSchema(stacks[name])).toEqual([]);
  });

  test.each(genesysStacks.map(([name]) => name))("%s: required_providers pins mypurecloud/genesyscloud exactly to the release the schema file was generated from", (name) => {
    expect(stacks[name].terraform.required_providers.genesyscloud).toEqual({ source: "mypurecloud/genesyscloud", version: GENESYS_PROVIDER_VERSION });
    expect(`v${GENESYS_PROVIDER_VERSION}`).toBe(GENESYS_SCHEMA.provider.tag);
    expect(GENESYS_SCHEMA.provider.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  test("intended_state DELETED, which the provider refuses, fails the check", () => {
    const problems = checkBlock("genesyscloud_integration.x", GENESYS_SCHEMA.resources.genesyscloud_integration as any, { integration_type: "custom-rest-actions", intended_state: "DELETED" });
    expect(problems).toEqual(['genesyscloud_integration.x.intended_state must be one of DISABLED, ENABLED (got "DELETED")']);
  });

  test("every region domain the configuration accepts maps to an aws_region the provider accepts", () => {
    const accepted = GENESYS_SCHEMA.provider.attributes.aws_region.enum!;
    for (const domain of GENESYS_REGION_DOMAINS) {
      expect([domain, GENESYS_PROVIDER_REGIONS[domain]]).toEqual([domain, expect.any(String)]);
      expect(accepted).toContain(GENESYS_PROVIDER_REGIONS[domain]);
      expect(GENESYS_SCHEMA.provider.regions[GENESYS_PROVIDER_REGIONS[domain]!]).toBe(domain);
    }
    expect(GENESYS_PROVIDER_REGIONS["mxc1.pure.cloud"]).toBe("mx-central-1");
    expect(GENESYS_PROVIDER_REGIONS["apse1.pure.cloud"]).toBe("ap-southeast-1");
  });

  test.each([
    ["mxc1.pure.cloud", "mx-central-1"],
    ["apse1.pure.cloud", "ap-southeast-1"],
  ])("an org in %s gets its Genesys stacks, with provider aws_region %s", (regionDomain, region) => {
    const s = synthStacks([sampleEnv("dev", { genesys: { regionDomain } } as any)]);
    for (const name of ["dev-genesys", "dev-genesys-actions"]) {
      expect(s[name].provider!.genesyscloud[0].aws_region).toBe(region);
      expect(checkStackAgainstSchema(s[name])).toEqual([]);
    }
  });
});

describe("process automation trigger: match_criteria", () => {
  const trigger = () => Object.values(stacks["dev-genesys-actions"].resource!.genesyscloud_processautomation_trigger)[0] as any;

  test("is a JSON string of camelCase criteria, as the provider's toJSONString reads it, not a block", () => {
    expect(typeof trigger().match_criteria).toBe("string");
    expect(trigger().match_criteria).toBe('[{"jsonPath":"mediaType","operator":"Equal","value":"MESSAGE"}]');
    for (const c of JSON.parse(trigger().match_criteria)) expect(Object.keys(c).every((k) => ["jsonPath", "operator", "value", "values"].includes(k))).toBe(true);
  });

  test("is written as Go's json.Marshal writes it back (keys sorted, compact, HTML characters escaped), so the consistency check sees no change", () => {
    expect(matchCriteriaJson([{ operator: "In", values: ["A&B", "<x>"], jsonPath: "queue.name" } as any])).toBe('[{"jsonPath":"queue.name","operator":"In","values":["A\\u0026B","\\u003cx\\u003e"]}]');
    expect(JSON.parse(matchCriteriaJson([{ jsonPath: "a", operator: "Equal", value: "é\u2028" }]))).toEqual([{ jsonPath: "a", operator: "Equal", value: "é\u2028" }]);
  });

  test("the trigger carries a description within the provider's 512 characters and no TTL/delay conflict", () => {
    expect(trigger().description.length).toBeLessThanOrEqual(512);
    expect(trigger().delay_by_seconds === undefined || trigger().event_ttl_seconds === undefined).toBe(true);
  });
});

describe("typed genesyscloud bindings: the checker", () => {

  test("the schema check catches an unknown argument, a missing required one, a read-only one, a wrong type and a bad enum", () => {
    const problems = checkBlock("genesyscloud_oauth_client.x", GENESYS_SCHEMA.resources.genesyscloud_oauth_client as any, {
      name: "c",
      client_id: "set-by-hand",
      access_token_validity_seconds: "long",
      state: "enabled",
      roles: [{ division_id: "d" }],
      grant_type: "CLIENT-CREDENTIALS",
    });
    expect(problems).toEqual([
      "genesyscloud_oauth_client.x.client_id is read-only in the provider and must not be set",
      'genesyscloud_oauth_client.x.access_token_validity_seconds must be a number (got "long")',
      'genesyscloud_oauth_client.x.state must be one of active, inactive (got "enabled")',
      "genesyscloud_oauth_client.x.roles[0].role_id is required",
      "genesyscloud_oauth_client.x.grant_type is not an argument of the provider's schema",
      "genesyscloud_oauth_client.x.authorized_grant_type is required",
    ]);
  });

  test("a block over its max_items fails the check", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app as App, "s");
    new GenesysProvider(stack, "p", { aws_region: "eu-west-1" });
    new GenesysIntegration(stack, "i", { integration_type: "custom-rest-actions", config: [{ name: "a" }, { name: "b" }] });
    const json = JSON.parse(Testing.synth(stack));
    expect(checkStackAgainstSchema(json)).toEqual(["genesyscloud_integration.i.config allows at most 1 block(s) (got 2)"]);
  });

  test("optional arguments left out are not written, references become Terraform expressions", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app as App, "s");
    new GenesysProvider(stack, "p", { aws_region: "eu-west-1" });
    const role = new GenesysAuthRole(stack, "r", { name: "r" });
    new GenesysOAuthClient(stack, "c", { name: "c", authorized_grant_type: "CLIENT-CREDENTIALS", roles: [{ role_id: role.genesysId }] });
    const json = JSON.parse(Testing.synth(stack));
    expect(json.resource.genesyscloud_auth_role.r).toEqual({ name: "r" });
    expect(json.resource.genesyscloud_oauth_client.c.roles).toEqual([{ role_id: "${genesyscloud_auth_role.r.id}" }]);
    expect(json.provider.genesyscloud).toEqual([{ aws_region: "eu-west-1" }]);
  });
});
