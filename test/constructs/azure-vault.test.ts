import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainerImmutabilityPolicy } from "@cdktf/provider-azurerm/lib/storage-container-immutability-policy";
import { Testing } from "cdktf";
import { onlyResource, sampleEnv, synthEnvironments } from "../support/synth-app";

const { stacks, built } = synthEnvironments([sampleEnv("dev"), sampleEnv("prod")]);
const devAzure = Testing.synth(built[0].azure);
const dev = stacks["dev-azure"];
const prod = stacks["prod-azure"];

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

  test("lifecycle tiers to cool and archive and never deletes", () => {
    const policy = onlyResource(prod, "azurerm_storage_management_policy");
    const text = JSON.stringify(policy);
    expect(text).not.toMatch(/delete/i);
    expect(policy.rule[0].actions.base_blob).toEqual({
      tier_to_cool_after_days_since_creation_greater_than: 30,
      tier_to_archive_after_days_since_creation_greater_than: 180,
    });
    expect(policy.rule[0].filters.prefix_match).toEqual(["vault/"]);
  });
});

/** The resource of `type` whose construct path contains `/<part>/`. */
const ofCredential = (part: "writer" | "lister", type: string, stack: any = dev) =>
  Object.values((stack.resource ?? {})[type] ?? {}).find((r: any) => r["//"].metadata.path.includes(`/${part}/`)) as any;

describe("writer and lister credentials", () => {
  test("the writer SAS can create and write only, the lister SAS can list only; both over HTTPS", () => {
    const data = { resource: dev.data };
    expect(ofCredential("writer", "azurerm_storage_account_blob_container_sas", data).permissions).toEqual({ create: true, write: true, add: false, read: false, list: false, delete: false });
    expect(ofCredential("lister", "azurerm_storage_account_blob_container_sas", data).permissions).toEqual({ create: false, write: false, add: false, read: false, list: true, delete: false });
    for (const part of ["writer", "lister"] as const) expect(ofCredential(part, "azurerm_storage_account_blob_container_sas", data).https_only).toBe(true);
  });

  test("each expires sasValidityDays after its rotation, and rotation is a time_rotating resource", () => {
    for (const part of ["writer", "lister"] as const) {
      const sas = ofCredential(part, "azurerm_storage_account_blob_container_sas", { resource: dev.data });
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
    expect(onlyResource(dev, "azurerm_storage_account").sas_policy).toEqual({ expiration_period: "30.00:00:00", expiration_action: "Log" });
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
    const s = synthEnvironments([env]).stacks;
    expect(s["prod-aws"].terraform.backend.s3).toMatchObject({ bucket: "acme-tf-state", key: "prod/aws.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true });
    expect(s["prod-azure"].terraform.backend.azurerm).toMatchObject({ storage_account_name: "acmetfstate", key: "prod/azure.tfstate", use_azuread_auth: true });
    expect(Object.values(s["prod-azure"].data!.terraform_remote_state)[0]).toMatchObject({ backend: "s3", config: expect.objectContaining({ bucket: "acme-tf-state" }) });
  });
});
