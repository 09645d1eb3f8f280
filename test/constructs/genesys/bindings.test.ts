import { App, TerraformStack, Testing } from "cdktf";
import { GenesysAuthRole, GenesysIntegration, GenesysOAuthClient, GenesysProvider, GENESYS_PROVIDER_VERSION } from "../../../constructs/genesys/bindings";
import { sampleEnv, synthEnvironments, type TfJson } from "../../support/synth-app";
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
for (const env of variants) Object.assign(stacks, synthEnvironments([env]).stacks);
const genesysStacks = Object.entries(stacks).filter(([name]) => name.includes("-genesys"));

describe("typed genesyscloud bindings", () => {
  test("the variants cover every resource type in the schema file", () => {
    const used = new Set(genesysStacks.flatMap(([, s]) => Object.keys(s.resource ?? {}).filter((t) => t.startsWith("genesyscloud_"))));
    expect([...used].sort()).toEqual(Object.keys(GENESYS_SCHEMA.resources).sort());
  });

  test.each(genesysStacks.map(([name]) => name))("%s: every synthesized attribute and block is in the provider schema, with its type", (name) => {
    expect(checkStackAgainstSchema(stacks[name])).toEqual([]);
  });

  test.each(genesysStacks.map(([name]) => name))("%s: required_providers pins mypurecloud/genesyscloud to the documented version exactly", (name) => {
    expect(stacks[name].terraform.required_providers.genesyscloud).toEqual({ source: "mypurecloud/genesyscloud", version: GENESYS_PROVIDER_VERSION });
    expect(GENESYS_PROVIDER_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });

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
