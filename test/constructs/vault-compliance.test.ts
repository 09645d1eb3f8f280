import type { App } from "cdktf";
import { applyDefaults } from "../../config/defaults";
import { sampleEnvironments } from "../../config/environments";
import { deepMerge } from "../../config/merge";
import type { DeepPartial, EnvironmentConfig } from "../../config/types";
import { validateEnvironment } from "../../config/validate";
import { sampleEnv, synthEnvironments, type TfJson } from "../support/synth-app";

const READERS = ["0b6f1c2a-3d4e-4f50-8a6b-7c8d9e0f1a2b", "1c7a2d3b-4e5f-4061-9b7c-8d9e0f1a2b3c"];
const HOLDERS = ["2d8b3e4c-5f60-4172-8c8d-9e0f1a2b3c4d"];
const NETWORKS = ["203.0.113.0/28", "198.51.100.7"];

/** A sample environment with exactly this compliance block (the samples' own replaced, or removed). */
function withCompliance(name: string, compliance: EnvironmentConfig["azure"]["compliance"]): EnvironmentConfig {
  const base = sampleEnv(name);
  return { ...base, azure: { ...base.azure, compliance } };
}

/** Every construct warning (Annotations.addWarning) of a synthesized app. */
const warningsOf = (app: App): string[] =>
  app.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === "@cdktf/warn")
    .map((m) => String(m.data));

/** Synthesizes one environment; returns its Azure stack and the warnings of the app. */
function synth(env: EnvironmentConfig): { azure: TfJson; warnings: string[] } {
  const { stacks, app } = synthEnvironments([env]);
  return { azure: stacks[`${env.name}-azure`]!, warnings: warningsOf(app) };
}

const resources = (stack: TfJson, type: string) => Object.values(stack.resource?.[type] ?? {}) as any[];
const underCompliance = (stack: TfJson, type: string) => resources(stack, type).filter((r) => r["//"].metadata.path.includes("/compliance/"));
const roleNamed = (stack: TfJson, suffix: string) => resources(stack, "azurerm_role_definition").find((r) => r.name.endsWith(suffix));
/** Every action and data action a role definition grants. */
const grantsOf = (role: any): string[] => role.permissions.flatMap((p: any) => [...p.actions, ...p.data_actions]);

describe("auditor access (azure.compliance)", () => {
  const { azure } = synth(withCompliance("prod", { readerGroupObjectIds: READERS, networks: NETWORKS, legalHoldGroupObjectIds: HOLDERS }));
  const containerScope = /^\$\{azurerm_storage_container\.[\w-]+\.id\}$/;

  test("the auditor role reads blobs, their tags and Find Blobs by Tags, and the container through ARM; nothing else", () => {
    const role = roleNamed(azure, "-vault-auditor (read-only)");
    expect(role.name).toBe("gcv-prod-vault-auditor (read-only)");
    expect(role.permissions).toEqual([
      {
        actions: ["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
        data_actions: [
          "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
          "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/read",
          "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/filter/action",
        ],
        not_actions: [],
        not_data_actions: [],
      },
    ]);
    for (const grant of grantsOf(role)) expect(grant).not.toMatch(/write|delete|add\/action|LegalHold|immutabilityPolicies|listKeys|\*/i);
    expect(role.assignable_scopes).toEqual([role.scope]);
  });

  test("each reader group gets the auditor role at the container, as a Group, without a condition", () => {
    const auditor = roleNamed(azure, "-vault-auditor (read-only)");
    const assignments = underCompliance(azure, "azurerm_role_assignment").filter((a) => a.role_definition_id.includes("compliance_auditor-role_"));
    expect(assignments.map((a) => a.principal_id).sort()).toEqual([...READERS].sort());
    for (const a of assignments) {
      expect(a).toMatchObject({ scope: expect.stringMatching(containerScope), principal_type: "Group" });
      expect(a.condition).toBeUndefined();
      expect(a.role_definition_id).toBe(`\${azurerm_role_definition.${Object.keys(azure.resource!.azurerm_role_definition!).find((k) => azure.resource!.azurerm_role_definition![k] === auditor)}.role_definition_resource_id}`);
    }
  });

  test("the legal-hold role only sets and clears holds and reads the container, assigned to the hold groups at the container", () => {
    const role = roleNamed(azure, "-vault-legal-hold");
    expect(role.permissions).toEqual([
      {
        actions: [
          "Microsoft.Storage/storageAccounts/blobServices/containers/read",
          "Microsoft.Storage/storageAccounts/blobServices/containers/setLegalHold/action",
          "Microsoft.Storage/storageAccounts/blobServices/containers/clearLegalHold/action",
        ],
        data_actions: [],
        not_actions: [],
        not_data_actions: [],
      },
    ]);
    const holds = underCompliance(azure, "azurerm_role_assignment").filter((a) => a.role_definition_id.includes("compliance_legal-hold-role_"));
    expect(holds).toEqual([expect.objectContaining({ principal_id: HOLDERS[0], principal_type: "Group", scope: expect.stringMatching(containerScope) })]);
  });

  test("the auditors' networks join the NAT IPs in the firewall, which still denies everything else", () => {
    const rules = resources(azure, "azurerm_storage_account")[0].network_rules;
    expect(rules.default_action).toBe("Deny");
    expect(rules.bypass).toEqual(["None"]);
    const nat = rules.ip_rules.filter((r: string) => r.startsWith("${data.terraform_remote_state."));
    expect(nat).toHaveLength(sampleEnv("prod").aws.natGateways);
    expect(rules.ip_rules).toEqual([...nat, ...NETWORKS]);
  });

  test("the writer path is unchanged: no group gets the writer or lister role, and no role grants a group write or delete", () => {
    const groupAssignments = resources(azure, "azurerm_role_assignment").filter((a) => a.principal_type === "Group");
    expect(groupAssignments).toHaveLength(READERS.length + HOLDERS.length);
    for (const a of groupAssignments) expect(a.role_definition_id).toMatch(/azurerm_role_definition\.compliance_(auditor|legal-hold)-role_/);
    for (const role of underCompliance(azure, "azurerm_role_definition")) {
      for (const p of role.permissions) expect(p.data_actions.filter((d: string) => /write|delete|add\/action/.test(d))).toEqual([]);
    }
  });

  test("without legal-hold groups there is no legal-hold role", () => {
    const { azure: noHolds } = synth(withCompliance("prod", { readerGroupObjectIds: READERS, networks: NETWORKS }));
    expect(roleNamed(noHolds, "-vault-legal-hold")).toBeUndefined();
    expect(underCompliance(noHolds, "azurerm_role_assignment")).toHaveLength(READERS.length);
  });

  test("in sas mode the auditors get the same role and networks", () => {
    const dev = withCompliance("dev", { readerGroupObjectIds: READERS, networks: NETWORKS });
    const { azure: sas } = synth({ ...dev, azure: { ...dev.azure, writerAuth: "sas" } });
    expect(grantsOf(roleNamed(sas, "-vault-auditor (read-only)")).sort()).toEqual(grantsOf(roleNamed(azure, "-vault-auditor (read-only)")).sort());
    expect(resources(sas, "azurerm_storage_account")[0].network_rules.ip_rules.slice(-2)).toEqual(NETWORKS);
  });
});

describe("environments without auditors", () => {
  const WARNING = /nobody may audit the vault: set azure\.compliance\.readerGroupObjectIds/;

  test.each(["staging", "prod"])("%s synthesizes with a warning that names azure.compliance.readerGroupObjectIds", (name) => {
    const { azure, warnings } = synth(withCompliance(name, undefined));
    expect(warnings.filter((w) => WARNING.test(w))).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
    expect(resources(azure, "azurerm_role_assignment").filter((a) => a.principal_type === "Group")).toEqual([]);
  });

  test("dev does not warn, and its firewall is the NAT IPs alone", () => {
    const { azure, warnings } = synth(sampleEnv("dev"));
    expect(warnings.filter((w) => WARNING.test(w))).toEqual([]);
    expect(resources(azure, "azurerm_storage_account")[0].network_rules.ip_rules.every((r: string) => r.startsWith("${data.terraform_remote_state."))).toBe(true);
  });

  test("the shipped staging and prod samples name auditors, so they synthesize without that warning", () => {
    const { app } = synthEnvironments(sampleEnvironments.filter((e) => e.name !== "dev").map(applyDefaults));
    expect(warningsOf(app).filter((w) => WARNING.test(w))).toEqual([]);
  });
});

describe("azure.compliance validation", () => {
  const prod = applyDefaults(sampleEnvironments.find((e) => e.name === "prod")!);
  const problemsWith = (compliance: DeepPartial<NonNullable<EnvironmentConfig["azure"]["compliance"]>>) =>
    validateEnvironment(deepMerge(prod, { azure: { compliance } } as DeepPartial<EnvironmentConfig>));

  test("the shipped compliance blocks are valid", () => {
    expect(problemsWith({})).toEqual([]);
  });

  test.each<[string, DeepPartial<NonNullable<EnvironmentConfig["azure"]["compliance"]>>, RegExp]>([
    ["a reader id that is not a UUID", { readerGroupObjectIds: ["compliance-officers"] }, /environment "prod": azure\.compliance\.readerGroupObjectIds must hold Entra group object ids \(UUIDs\) \(got "compliance-officers"\)/],
    ["no reader group", { readerGroupObjectIds: [] }, /azure\.compliance\.readerGroupObjectIds must list at least one Entra group object id/],
    ["the same reader group twice", { readerGroupObjectIds: [READERS[0]!, READERS[0]!.toUpperCase()] }, /azure\.compliance\.readerGroupObjectIds lists .* twice/],
    ["a legal-hold id that is not a UUID", { legalHoldGroupObjectIds: ["legal"] }, /azure\.compliance\.legalHoldGroupObjectIds must hold Entra group object ids \(UUIDs\) \(got "legal"\)/],
    ["no network", { networks: [] }, /azure\.compliance\.networks must list at least one public IPv4 address or CIDR range/],
    ["a /32 range", { networks: ["198.51.100.7/32"] }, /azure\.compliance\.networks entry must be written as a bare address \(Azure refuses \/31 and \/32 .*\(got "198\.51\.100\.7\/32"\)/],
    ["a /31 range", { networks: ["198.51.100.6/31"] }, /must be written as a bare address/],
    ["a private range", { networks: ["10.20.0.0/16"] }, /azure\.compliance\.networks entry must be public: Azure refuses private \(RFC 1918\) ranges .*\(got "10\.20\.0\.0\/16"\)/],
    ["a private address", { networks: ["192.168.1.10"] }, /entry must be public/],
    ["a range that contains a private one", { networks: ["172.0.0.0/8"] }, /entry must be public/],
    ["a shared (CGNAT) address", { networks: ["100.64.1.1"] }, /entry must be public/],
    ["IPv6", { networks: ["2001:db8::/32"] }, /entry must be a public IPv4 address \(203\.0\.113\.7\) or network in CIDR form/],
    ["host bits set", { networks: ["203.0.113.5/28"] }, /entry must be a public IPv4 address .* with no host bits set/],
    ["an octet above 255", { networks: ["203.0.113.256"] }, /entry must be a public IPv4 address/],
    ["a range wider than /16", { networks: ["52.0.0.0/8"] }, /entry is wider than \/16: list the auditors' egress addresses/],
    ["a duplicate", { networks: ["198.51.100.7", "198.51.100.7"] }, /azure\.compliance\.networks lists "198\.51\.100\.7", which is a duplicate/],
    ["an address inside a listed range", { networks: ["203.0.113.0/28", "203.0.113.9"] }, /azure\.compliance\.networks lists "203\.0\.113\.9", which overlaps "203\.0\.113\.0\/28"/],
    ["more entries than the firewall takes", { networks: Array.from({ length: 198 }, (_, i) => `198.51.${Math.floor(i / 100)}.${(i % 100) + 1}`) }, /has 198 entries: with the 3 NAT IPs that exceeds the 200 IP rules a storage account accepts/],
  ])("%s", (_label, compliance, message) => {
    const problems = problemsWith(compliance);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test("a bad entry is reported alone: the valid ones beside it raise nothing", () => {
    expect(problemsWith({ networks: ["203.0.113.0/28", "10.0.0.1", "198.51.100.7"] })).toEqual([expect.stringMatching(/\(got "10\.0\.0\.1"\)$/)]);
  });
});
