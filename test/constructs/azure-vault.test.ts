import { readFileSync } from "node:fs";
import path from "node:path";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainerImmutabilityPolicy } from "@cdktf/provider-azurerm/lib/storage-container-immutability-policy";
import { Testing } from "cdktf";
import { LIST_ONLY_CONDITION } from "../../constructs/vault/vault-writer-identity";
import { onlyResource, sampleEnv, synthEnvironments, synthStacks } from "../support/synth-app";

const { stacks, built } = synthEnvironments([sampleEnv("dev"), sampleEnv("prod")]);
const devAzure = Testing.synth(built[0].azure);
const dev = stacks["dev-azure"];
const prod = stacks["prod-azure"];
// The fallback mode, for accounts that cannot enable outbound identity federation.
const sasDev = synthStacks([sampleEnv("dev", { azure: { writerAuth: "sas" } })])["dev-azure"];

describe("vault storage account", () => {
  test("overrides every insecure default", () => {
    expect(devAzure).toHaveResourceWithProperties(StorageAccount, {
      account_kind: "StorageV2",
      min_tls_version: "TLS1_2",
      https_traffic_only_enabled: true,
      allow_nested_items_to_be_public: false,
      cross_tenant_replication_enabled: false,
      infrastructure_encryption_enabled: true,
      local_user_enabled: false,
      sftp_enabled: false,
    });
  });

  test("network rules deny by default with no trusted-service bypass", () => {
    const rules = onlyResource(dev, "azurerm_storage_account").network_rules;
    expect(rules.default_action).toBe("Deny");
    expect(rules.bypass).toEqual(["None"]);
  });

  test("blob versioning, change feed and soft delete for blobs and containers", () => {
    const blob = onlyResource(dev, "azurerm_storage_account").blob_properties;
    expect(blob).toMatchObject({
      versioning_enabled: true,
      change_feed_enabled: true,
      delete_retention_policy: { days: 7, permanent_delete_enabled: false },
      container_delete_retention_policy: { days: 7 },
    });
  });

  test("prod replicates geo-redundantly, dev locally", () => {
    expect(onlyResource(prod, "azurerm_storage_account").account_replication_type).toBe("RAGZRS");
    expect(onlyResource(dev, "azurerm_storage_account").account_replication_type).toBe("LRS");
  });
});

describe("vault container", () => {
  test("is private and created through the management plane", () => {
    const c = onlyResource(dev, "azurerm_storage_container");
    expect(c.container_access_type).toBe("private");
    expect(c.storage_account_id).toMatch(/azurerm_storage_account\.[\w-]+\.id/);
  });

  test("has a time-based immutability policy: unlocked in dev, locked in prod", () => {
    expect(devAzure).toHaveResourceWithProperties(StorageContainerImmutabilityPolicy, { immutability_period_in_days: 1, locked: false });
    expect(onlyResource(prod, "azurerm_storage_container_immutability_policy")).toMatchObject({ immutability_period_in_days: 2555, locked: true });
  });

  test("lifecycle never deletes and only tiers the vault container", () => {
    for (const stack of [dev, prod]) {
      const policy = onlyResource(stack, "azurerm_storage_management_policy");
      expect(JSON.stringify(policy)).not.toMatch(/delete/i);
      expect(policy.rule[0].filters.prefix_match).toEqual(["vault/"]);
    }
  });

  test.each([
    [
      "prod (RAGZRS, which has no archive tier) tiers to cool and then cold",
      prod,
      { tier_to_cool_after_days_since_creation_greater_than: 30, tier_to_cold_after_days_since_creation_greater_than: 180 },
      { change_tier_to_cool_after_days_since_creation: 30, tier_to_cold_after_days_since_creation_greater_than: 180 },
    ],
    [
      "dev (LRS) tiers to cool and then archive",
      dev,
      { tier_to_cool_after_days_since_creation_greater_than: 30, tier_to_archive_after_days_since_creation_greater_than: 90 },
      { change_tier_to_cool_after_days_since_creation: 30, change_tier_to_archive_after_days_since_creation: 90 },
    ],
  ])("%s, blobs and previous versions alike", (_label, stack, baseBlob, version) => {
    const { actions } = onlyResource(stack, "azurerm_storage_management_policy").rule[0];
    expect(actions).toEqual({ base_blob: baseBlob, version });
  });
});

/** The resource of `type` whose construct path contains `/<part>/`. */
const ofCredential = (part: "writer" | "lister", type: string, stack: any = sasDev) =>
  Object.values(stack.resource?.[type] ?? {}).find((r: any) => r["//"].metadata.path.includes(`/${part}/`)) as any;

describe("writer and lister credentials in sas mode", () => {
  test("the writer SAS can create and write only, the lister SAS can list only; both over HTTPS", () => {
    const data = { resource: sasDev.data };
    expect(ofCredential("writer", "azurerm_storage_account_blob_container_sas", data).permissions).toEqual({ create: true, write: true, add: false, read: false, list: false, delete: false });
    expect(ofCredential("lister", "azurerm_storage_account_blob_container_sas", data).permissions).toEqual({ create: false, write: false, add: false, read: false, list: true, delete: false });
    for (const part of ["writer", "lister"] as const) expect(ofCredential(part, "azurerm_storage_account_blob_container_sas", data).https_only).toBe(true);
  });

  test("each expires sasValidityDays after its rotation, and rotation is a time_rotating resource", () => {
    for (const part of ["writer", "lister"] as const) {
      const sas = ofCredential(part, "azurerm_storage_account_blob_container_sas", { resource: sasDev.data });
      expect(sas.start).toMatch(/^\$\{time_rotating\.[\w-]+\.rfc3339\}$/);
      expect(sas.expiry).toMatch(/^\$\{timeadd\(time_rotating\.[\w-]+\.rfc3339, "720h"\)\}$/);
      expect(ofCredential(part, "time_rotating").rotation_days).toBe(14);
    }
  });

  test("each is delivered into its own AWS secret through a write-only argument", () => {
    const ids = new Set<string>();
    for (const part of ["writer", "lister"] as const) {
      const version = ofCredential(part, "aws_secretsmanager_secret_version");
      expect(version.secret_string).toBeUndefined();
      expect(version.secret_string_wo).toContain("data.azurerm_storage_account_blob_container_sas.");
      expect(version.secret_id).toMatch(/terraform_remote_state\.cross-stack-reference-input-dev-aws\.outputs\./);
      expect(version.secret_string_wo_version).toMatch(/parseint\(formatdate\("YYYYMMDDhhmm", time_rotating/);
      ids.add(version.secret_id);
    }
    expect(ids.size).toBe(2);
  });

  test("account SAS policy flags tokens valid longer than the configured validity", () => {
    expect(onlyResource(sasDev, "azurerm_storage_account").sas_policy).toEqual({ expiration_period: "30.00:00:00", expiration_action: "Log" });
  });

  test("no SAS is signed before the WORM policy exists", () => {
    for (const part of ["writer", "lister"] as const) {
      const sas = ofCredential(part, "azurerm_storage_account_blob_container_sas", { resource: sasDev.data });
      expect(sas.depends_on).toEqual([expect.stringMatching(/^azurerm_storage_container_immutability_policy\./)]);
    }
  });

  test("keeps Shared Key authorization, which the SAS needs", () => {
    expect(onlyResource(sasDev, "azurerm_storage_account").shared_access_key_enabled).toBe(true);
  });
});

describe("audit trail", () => {
  test("the blob service sends StorageRead, StorageWrite and StorageDelete to the environment's Log Analytics workspace", () => {
    const setting = onlyResource(dev, "azurerm_monitor_diagnostic_setting");
    expect(setting.target_resource_id).toMatch(/^\$\{azurerm_storage_account\.[\w-]+\.id\}\/blobServices\/default$/);
    expect(setting.log_analytics_workspace_id).toMatch(/^\$\{azurerm_log_analytics_workspace\.[\w-]+\.id\}$/);
    expect(setting.enabled_log).toEqual([{ category: "StorageRead" }, { category: "StorageWrite" }, { category: "StorageDelete" }]);
  });

  test("logs are kept per environment (dev 30 days, prod 365) and the workspace takes no shared keys", () => {
    expect(onlyResource(dev, "azurerm_log_analytics_workspace")).toMatchObject({ retention_in_days: 30, sku: "PerGB2018", local_authentication_enabled: false });
    expect(onlyResource(prod, "azurerm_log_analytics_workspace").retention_in_days).toBe(365);
  });
});

describe("backends", () => {
  test("S3 with encryption and lock file, azurerm with Entra ID auth, when configured", () => {
    const env = sampleEnv("prod", {
      backends: {
        aws: { bucket: "acme-tf-state" },
        azure: { resourceGroupName: "rg-tfstate", storageAccountName: "acmetfstate", containerName: "tfstate" },
      },
    });
    const s = synthStacks([env]);
    expect(s["prod-aws"].terraform.backend.s3).toMatchObject({ bucket: "acme-tf-state", key: "prod/aws.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true });
    expect(s["prod-azure"].terraform.backend.azurerm).toMatchObject({ storage_account_name: "acmetfstate", key: "prod/azure.tfstate", use_azuread_auth: true });
    expect(Object.values(s["prod-azure"].data!.terraform_remote_state)[0]).toMatchObject({ backend: "s3", config: expect.objectContaining({ bucket: "acme-tf-state" }) });
  });
});

/** Attribute names whose values would be credentials of the vault account. */
const KEY_ATTRIBUTE = /primary_access_key|secondary_access_key|primary_connection_string|secondary_connection_string|primary_blob_connection_string|secondary_blob_connection_string|connection_string|\bsas\b/;
/** Data sources that read a key or sign a SAS (their results land in state). */
const KEY_DATA_SOURCES = ["azurerm_storage_account_blob_container_sas", "azurerm_storage_account_sas", "azurerm_storage_account"];

describe.each(["dev", "prod"])("%s in federated mode (the default)", (name) => {
  const stack = stacks[`${name}-azure`]!;
  const aws = stacks[`${name}-aws`]!;

  test("the Entra applications and service principals are owned by the configured owners, never by whoever applies", () => {
    const owners = sampleEnv(name).azure.applicationOwnerObjectIds!;
    expect(owners.length).toBeGreaterThan(0);
    const principals = [...Object.values(stack.resource?.azuread_application ?? {}), ...Object.values(stack.resource?.azuread_service_principal ?? {})] as any[];
    expect(principals).toHaveLength(4);
    for (const p of principals) {
      expect(p.owners).toEqual(owners);
      // The plan (and so the apply) fails if the applying identity is one of the owners.
      const [check] = p.lifecycle.precondition;
      expect(check.condition).toMatch(new RegExp(`^\\$\\{!contains\\(\\[${owners.map((o) => `"${o}"`).join(",")}\\], data\\.azuread_client_config\\.[\\w-]+\\.object_id\\)\\}$`));
      expect(check.error_message).toContain("azure.applicationOwnerObjectIds");
    }
  });

  test("the deployer's role-assignment condition names exactly the roles this stack assigns, each only to its kind of principal", () => {
    const definitions = stack.resource!.azurerm_role_definition as Record<string, any>;
    const assignedTo = (principalType: string) =>
      new Set(
        Object.values(stack.resource!.azurerm_role_assignment as Record<string, any>)
          .filter((a) => (a.principal_type ?? "ServicePrincipal") === principalType)
          .map((a) => {
            const ref = /^\$\{azurerm_role_definition\.([\w-]+)\.role_definition_resource_id\}$/.exec(a.role_definition_id)![1]!;
            return definitions[ref].role_definition_id as string;
          }),
      );
    const servicePrincipalRoles = [...assignedTo("ServicePrincipal")].sort();
    const groupRoles = [...assignedTo("Group")].sort();
    expect(servicePrincipalRoles).toHaveLength(2);
    for (const id of [...servicePrincipalRoles, ...groupRoles]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const condition = stack.output!.deployer_role_assignment_condition!.value as string;
    const named = [...condition.matchAll(/GuidEquals \{([^}]*)\}/g)].map((m) => m[1]!.split(", ").sort());
    const types = [...condition.matchAll(/PrincipalType\] ForAnyOfAnyValues:StringEqualsIgnoreCase \{([^}]*)\}/g)].map((m) => m[1]);
    // Once for creating (request attributes), once for deleting (the existing assignment's); groups only where compliance roles exist.
    const half = groupRoles.length ? [servicePrincipalRoles, groupRoles] : [servicePrincipalRoles];
    expect(named).toEqual([...half, ...half]);
    const halfTypes = groupRoles.length ? ["'ServicePrincipal'", "'Group'"] : ["'ServicePrincipal'"];
    expect(types).toEqual([...halfTypes, ...halfTypes]);
    expect(condition).toContain("@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]");
    expect(condition).toContain("@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId]");
    // The paste-able copy in docs/security.md is the dev sample's, exactly.
    if (name === "dev") expect(readFileSync(path.join(__dirname, "../../docs/security.md"), "utf8")).toContain(`\`\`\`\n${condition}\n\`\`\``);
  });

  test("no data source, output or attribute holds a key, a connection string or a SAS", () => {
    for (const type of KEY_DATA_SOURCES) expect(stack.data?.[type]).toBeUndefined();
    const text = JSON.stringify(stack);
    expect(text).not.toMatch(KEY_ATTRIBUTE);
    for (const output of Object.values(stack.output ?? {})) expect(JSON.stringify(output.value)).not.toMatch(/key|connection|sas/i);
    expect(stack.resource?.time_rotating).toBeUndefined();
  });

  test("Shared Key authorization is off and the provider plans through Entra ID", () => {
    const account = onlyResource(stack, "azurerm_storage_account");
    expect(account.shared_access_key_enabled).toBe(false);
    expect(account.sas_policy).toBeUndefined();
    expect(stack.provider?.azurerm?.[0]?.storage_use_azuread).toBe(true);
    // azurerm would otherwise read queue and static-website properties over the data plane on refresh.
    expect(stack.provider?.azurerm?.[0]?.features).toEqual([{ storage: [{ data_plane_available: false }] }]);
  });

  /** The resource of `type` whose construct id path contains `/<part>/` (one per part). */
  const of = (part: string, type: string) => {
    const found = Object.values(stack.resource?.[type] ?? {}).filter((r: any) => r["//"].metadata.path.includes(`/${part}/`)) as any[];
    expect(found).toHaveLength(1);
    return found[0];
  };
  const assignments = () => Object.values(stack.resource?.azurerm_role_assignment ?? {}) as any[];
  const writerCreate = () => assignments().find((a) => a["//"].metadata.path.endsWith("/writer-identity/assignment"));
  const writerList = () => assignments().find((a) => a["//"].metadata.path.endsWith("/writer-identity/list-assignment"));
  const reconcilerList = () => assignments().find((a) => a["//"].metadata.path.endsWith("/reconciler-identity/assignment"));
  /** The AWS stack output a cross-stack reference names. */
  const awsOutputOf = (reference: string) => JSON.stringify(aws.output?.[/outputs\.([\w-]+)\}/.exec(reference)![1]!]?.value);

  test("the plan identity needs no data-plane role: every resource is managed through the management plane", () => {
    // Data-plane resource types would need a blob role for whoever plans; none is used.
    for (const type of ["azurerm_storage_blob", "azurerm_storage_data_lake_gen2_filesystem", "azurerm_storage_share", "azurerm_storage_queue", "azurerm_storage_table"]) {
      expect(stack.resource?.[type]).toBeUndefined();
    }
    const container = onlyResource(stack, "azurerm_storage_container");
    expect(container.storage_account_id).toBeDefined();
    expect(container.storage_account_name).toBeUndefined();
    // The only service-principal role assignments: the archiver's two and the reconciler's one, each to its own
    // service principal (the prod sample's auditor groups have theirs: test/constructs/vault-compliance.test.ts).
    expect(assignments().filter((a) => a.principal_type !== "Group")).toHaveLength(3);
    expect(writerCreate().principal_id).toBe(`\${azuread_service_principal.${Object.keys(stack.resource!.azuread_service_principal!).find((k) => k.startsWith("writer-identity"))}.object_id}`);
    expect(reconcilerList().principal_id).toBe(`\${azuread_service_principal.${Object.keys(stack.resource!.azuread_service_principal!).find((k) => k.startsWith("reconciler-identity"))}.object_id}`);
    expect(writerList().principal_id).toBe(writerCreate().principal_id);
  });

  test("nothing can write before the WORM policy exists, and coordinates arrive only once each identity is trusted and authorized", () => {
    expect(writerCreate().depends_on).toEqual([expect.stringMatching(/^azurerm_storage_container_immutability_policy\./)]);
    const writerVersion = of("writer-identity", "aws_secretsmanager_secret_version");
    expect(writerVersion.depends_on).toEqual([
      expect.stringMatching(/^azuread_application_federated_identity_credential\.writer-identity/),
      expect.stringMatching(/^azurerm_role_assignment\.writer-identity_assignment_/),
      expect.stringMatching(/^azurerm_role_assignment\.writer-identity_list-assignment_/),
    ]);
    const reconcilerVersion = of("reconciler-identity", "aws_secretsmanager_secret_version");
    expect(reconcilerVersion.depends_on).toEqual([
      expect.stringMatching(/^azuread_application_federated_identity_credential\.reconciler-identity/),
      expect.stringMatching(/^azurerm_role_assignment\.reconciler-identity_assignment_/),
    ]);
  });

  test("each AWS secret receives only non-secret coordinates: the writer's the archiver's application, the lister's the reconciler's", () => {
    for (const part of ["writer-identity", "reconciler-identity"]) {
      const version = of(part, "aws_secretsmanager_secret_version");
      expect(version.secret_string_wo).toBeUndefined();
      expect(version.secret_string).toMatch(/^\$\{jsonencode\(\{/);
      const keys = [...version.secret_string.matchAll(/"(\w+)" = /g)].map((m: RegExpMatchArray) => m[1]).sort();
      expect(keys).toEqual(["blobEndpoint", "clientId", "containerName", "tenantId"]);
      expect(version.secret_string).toMatch(new RegExp(`azuread_application\\.${part}_application_\\w+\\.client_id`));
      expect(version.secret_string).toContain("data.azuread_client_config.");
    }
    expect(awsOutputOf(of("writer-identity", "aws_secretsmanager_secret_version").secret_id)).toMatch(/aws_secretsmanager_secret\.vault-writer-secret_/);
    expect(awsOutputOf(of("reconciler-identity", "aws_secretsmanager_secret_version").secret_id)).toMatch(/aws_secretsmanager_secret\.vault-lister-secret_/);
  });

  test("each federated credential trusts the account issuer and exactly its own role, by cross-stack reference", () => {
    const expected = { "writer-identity": /aws_iam_role\.transcript-vault_archiver_role_\w+\.arn/, "reconciler-identity": /aws_iam_role\.transcript-vault_reconciler_function_role_\w+\.arn/ };
    expect(Object.keys(stack.resource!.azuread_application_federated_identity_credential!)).toHaveLength(2);
    for (const [part, role] of Object.entries(expected)) {
      const fic = of(part, "azuread_application_federated_identity_credential");
      expect(fic.issuer).toBe(sampleEnv(name).aws.outboundIdentityIssuer);
      expect(fic.audiences).toEqual(["api://AzureADTokenExchange"]);
      expect(fic.subject).toMatch(/terraform_remote_state\.cross-stack-reference-input-[\w-]+-aws\.outputs\./);
      // ...and that output is the role's ARN in the AWS stack.
      expect(awsOutputOf(fic.subject)).toMatch(role);
      expect(fic.application_id).toMatch(new RegExp(`^\\$\\{azuread_application\\.${part}_application_\\w+\\.id\\}$`));
    }
  });

  test("a custom role can only create blobs, assigned at container scope", () => {
    const role = of("writer-identity", "azurerm_role_definition");
    expect(role.permissions).toEqual([
      {
        actions: [],
        data_actions: [
          "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
          "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
          // x-ms-tags on Put Blob / Put Block List: blob index tags at creation.
          "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/write",
        ],
        not_actions: [],
        not_data_actions: [],
      },
    ]);
    const text = JSON.stringify(role.permissions);
    expect(text).not.toMatch(/blobs\/read|blobs\/delete|\/\*|deleteBlobVersion|permanentDelete|listKeys/i);
    expect(writerCreate().scope).toMatch(/^\$\{azurerm_storage_container\.[\w-]+\.id\}$/);
    expect(writerCreate().role_definition_id).toMatch(/azurerm_role_definition\.writer-identity_role_\w+\.role_definition_resource_id/);
    expect(writerCreate().condition).toBeUndefined();
  });

  test("a list-only role: blob read narrowed to List Blobs by an ABAC condition (version 2.0) on every assignment, at container scope", () => {
    const role = of("lister-role", "azurerm_role_definition");
    expect(role.permissions).toEqual([{ actions: [], data_actions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"], not_actions: [], not_data_actions: [] }]);
    for (const assignment of [writerList(), reconcilerList()]) {
      expect(assignment).toMatchObject({
        scope: writerCreate().scope,
        role_definition_id: expect.stringMatching(/azurerm_role_definition\.lister-role_\w+\.role_definition_resource_id/),
        condition: "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND NOT SubOperationMatches{'Blob.List'})))",
        condition_version: "2.0",
        principal_type: "ServicePrincipal",
      });
    }
    // The stand-in that enforces it in the function tests evaluates exactly this text.
    expect(reconcilerList().condition).toBe(LIST_ONLY_CONDITION);
  });

  test("the archiver lists with its own identity; the reconciler with its own list-only one", () => {
    const fn = (pattern: RegExp) => Object.values(aws.resource?.aws_lambda_function ?? {}).find((f: any) => pattern.test(f.function_name)) as any;
    const secretRef = (id: string) => `\${aws_secretsmanager_secret.${Object.keys(aws.resource!.aws_secretsmanager_secret!).find((k) => k.startsWith(id))}.arn}`;
    expect(fn(/transcript-archiver/).environment.variables).toMatchObject({ AZURE_VAULT_AUTH: "federated", AZURE_VAULT_LISTER_SECRET_ARN: secretRef("vault-writer-secret") });
    expect(fn(/vault-reconciler/).environment.variables).toMatchObject({ AZURE_VAULT_AUTH: "federated", AZURE_VAULT_LISTER_SECRET_ARN: secretRef("vault-lister-secret") });
  });

  test("the archiver and the reconciler may mint web identity tokens only for Entra ID, for at most 5 minutes", () => {
    const policies = Object.values(aws.resource?.aws_iam_role_policy ?? {}) as any[];
    const granted = policies.filter((p) => JSON.parse(p.policy).Statement.some((st: any) => [st.Action].flat().includes("sts:GetWebIdentityToken")));
    expect(granted.map((p) => p.role).sort()).toEqual([expect.stringMatching(/transcript-vault_archiver_role/), expect.stringMatching(/transcript-vault_reconciler_function_role/)]);
    const grants = granted.flatMap((p) => JSON.parse(p.policy).Statement).filter((st: any) => [st.Action].flat().includes("sts:GetWebIdentityToken"));
    for (const grant of grants) {
      expect(grant.Condition).toEqual({
        "ForAllValues:StringEquals": { "sts:IdentityTokenAudience": ["api://AzureADTokenExchange"] },
        NumericLessThanEquals: { "sts:DurationSeconds": "300" },
        Null: { "sts:IdentityTokenAudience": "false" },
      });
    }
    const archiver = Object.values(aws.resource?.aws_lambda_function ?? {}).find((f: any) => /transcript-archiver/.test(f.function_name)) as any;
    expect(archiver.environment.variables.AZURE_VAULT_AUTH).toBe("federated");
  });
});

describe("federated mode without the reconciler", () => {
  test("has no reconciler identity; the archiver keeps its list-only assignment", () => {
    const s = synthStacks([sampleEnv("dev", { pipelines: { transcriptVault: { reconciler: { enabled: false } } } } as any)]);
    const paths = Object.values(s["dev-azure"]!.resource?.azurerm_role_assignment ?? {}).map((a: any) => a["//"].metadata.path.split("/").slice(-2).join("/"));
    expect(paths.sort()).toEqual(["writer-identity/assignment", "writer-identity/list-assignment"]);
    expect(Object.keys(s["dev-azure"]!.resource!.azuread_application!)).toEqual([expect.stringMatching(/^writer-identity_application_/)]);
  });
});

describe("sas mode", () => {
  test("the key checks above do detect what sas mode puts in state", () => {
    expect(KEY_DATA_SOURCES.some((type) => sasDev.data?.[type])).toBe(true);
    expect(JSON.stringify(sasDev)).toMatch(KEY_ATTRIBUTE);
  });

  test("grants no web identity tokens to the archiver", () => {
    const s = synthStacks([sampleEnv("dev", { azure: { writerAuth: "sas" } })]);
    expect(JSON.stringify(s["dev-aws"]!.resource?.aws_iam_role_policy)).not.toContain("sts:GetWebIdentityToken");
    expect(s["dev-azure"]!.resource?.azuread_application).toBeUndefined();
  });
});
