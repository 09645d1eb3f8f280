import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { generate, generateFrom } from "../../scripts/genesys-provider-schema";
import { GENESYS_SCHEMA } from "../support/genesys-schema";

/** Go source in the provider's own style (package vars, Required sets, validators, a const key). */
const TRIGGER_GO = `
package process_automation_trigger
const (
	AttrDelay = "delay_by_seconds"
)
var (
	settings = &schema.Resource{
		Schema: map[string]*schema.Schema{
			"data_format": {
				Description: "The data format " + "to use.",
				Type:        schema.TypeString,
				Optional:    true,
				ValidateFunc: validation.StringInSlice([]string{
					"Json",
					"TopLevelPrimitives",
				}, false),
			},
		},
	}
)
func ResourceProcessAutomationTrigger() *schema.Resource {
	target := &schema.Resource{
		Schema: map[string]*schema.Schema{
			"id": {Type: schema.TypeString, Required: true},
			"workflow_target_settings": {Type: schema.TypeSet, Optional: true, MaxItems: 1, Elem: settings},
		},
	}
	return &schema.Resource{
		Description: \`Genesys Cloud
Process Automation Trigger\`,
		Schema: map[string]*schema.Schema{
			"target": {Type: schema.TypeSet, Required: true, MaxItems: 1, Elem: target},
			// changed from a block to a string
			"match_criteria": {Type: schema.TypeString, Optional: true},
			AttrDelay: {Type: schema.TypeInt, Optional: true, ValidateFunc: validation.IntBetween(60, 900)},
			"tags": {Type: schema.TypeSet, Optional: true, Computed: true, Elem: &schema.Schema{Type: schema.TypeString}},
		},
	}
}
`;
const PROVIDER_GO = `
func ProviderSchema() map[string]*schema.Schema {
	return map[string]*schema.Schema{
		"aws_region": {Type: schema.TypeString, Optional: true, ValidateFunc: validation.StringInSlice(getAllowedRegions(), true)},
	}
}
`;
const REGIONS_GO = `
func getRegionMap() map[string]string {
	return map[string]string{
		"us-east-1":    "mypurecloud.com",
		"mx-central-1": "mxc1.pure.cloud",
	}
}
`;

describe("scripts/genesys-provider-schema.ts reads the provider's Go schema", () => {
  const files: Record<string, string> = {
    "genesyscloud/provider/provider_schema.go": PROVIDER_GO,
    "genesyscloud/provider/provider.go": REGIONS_GO,
    "genesyscloud/process_automation_trigger/resource_genesyscloud_processautomation_trigger.go": TRIGGER_GO,
  };
  /** The fixture files, and an empty schema for each resource the fixture leaves out. */
  const read = (file: string) => {
    if (files[file]) return files[file];
    const fn = file.includes("auth_role") ? "ResourceAuthRole" : file.includes("oauth_client") ? "ResourceOAuthClient" : file.includes("credential") ? "ResourceIntegrationCredential" : file.includes("integration_action") ? "ResourceIntegrationAction" : "ResourceIntegration";
    return `func ${fn}() *schema.Resource { return &schema.Resource{Schema: map[string]*schema.Schema{}} }`;
  };

  test("types, required blocks, item counts, validators, package variables and constant keys", () => {
    const out = generateFrom(read, "v9.9.9", "0".repeat(40)) as any;
    expect(out.provider).toMatchObject({ version: "9.9.9", tag: "v9.9.9", regions: { "mx-central-1": "mxc1.pure.cloud", "us-east-1": "mypurecloud.com" } });
    expect(out.provider.attributes.aws_region).toEqual({ type: "string", optional: true, enum: ["mx-central-1", "us-east-1"], enum_ignore_case: true });
    expect(out.resources.genesyscloud_processautomation_trigger).toEqual({
      attributes: {
        delay_by_seconds: { type: "number", optional: true, min: 60, max: 900 },
        match_criteria: { type: "string", optional: true },
        tags: { type: "set", elem: "string", optional: true, computed: true },
      },
      blocks: {
        target: {
          nesting: "set",
          min_items: 1,
          max_items: 1,
          attributes: { id: { type: "string", required: true } },
          blocks: { workflow_target_settings: { nesting: "set", max_items: 1, optional: true, attributes: { data_format: { type: "string", optional: true, enum: ["Json", "TopLevelPrimitives"] } } } },
        },
      },
    });
  });

  test("a schema it cannot read is an error naming the attribute, not a guess", () => {
    const broken = TRIGGER_GO.replace('"match_criteria": {Type: schema.TypeString', '"match_criteria": {Type: customType');
    expect(() => generateFrom((f) => (f.endsWith("trigger.go") ? broken : read(f)), "v1", "0".repeat(40))).toThrow(/match_criteria: unknown Type/);
  });

  // Needs a clone of MyPureCloud/terraform-provider-genesyscloud (GENESYS_PROVIDER_GIT_DIR, its git directory).
  const gitDir = process.env.GENESYS_PROVIDER_GIT_DIR;
  (gitDir && existsSync(gitDir) ? test : test.skip)("the committed schema file is exactly what the pinned tag's source gives", () => {
    const committed = readFileSync(path.join(__dirname, "..", "..", "constructs", "genesys", "genesyscloud-schema.json"), "utf8");
    expect(`${JSON.stringify(generate(gitDir!, GENESYS_SCHEMA.provider.tag), null, 2)}\n`).toBe(committed);
  });
});
