import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/types";
import { deriveNames } from "../config/validate";
import { VaultContainer } from "../constructs/vault/vault-container";
import { VaultAuditTrail } from "../constructs/vault/vault-audit-trail";
import { VaultStorageAccount } from "../constructs/vault/vault-storage-account";
import { VaultWriterCredential } from "../constructs/vault/vault-writer-credential";
import { configureBackend } from "./backends";

export interface AzureStackProps {
  readonly env: EnvironmentConfig;
  /** NAT Elastic IPs of the same environment's AWS stack (cross-stack references). */
  readonly allowedIps: string[];
  /** ARN of the AWS secret that receives the vault writer credential (cross-stack reference). */
  readonly vaultSecretArn: string;
  /** ARN of the AWS secret that receives the list-only credential (cross-stack reference). */
  readonly listerSecretArn: string;
}

/** `<env>-azure`: the immutable vault, trusting only the AWS stack's NAT egress IPs. */
export class AzureStack extends TerraformStack {
  public readonly storage: VaultStorageAccount;
  public readonly vault: VaultContainer;
  public readonly writerCredential: VaultWriterCredential;
  public readonly listerCredential: VaultWriterCredential;
  public readonly audit: VaultAuditTrail;

  constructor(scope: Construct, id: string, props: AzureStackProps) {
    super(scope, id);
    const { env } = props;
    const az = env.azure;
    configureBackend(this, env, "azure");

    new AzurermProvider(this, "azurerm", {
      features: [{}],
      subscriptionId: az.subscriptionId,
      // Register only the resource providers this stack uses (not ~70 by default).
      resourceProviderRegistrations: "none",
      resourceProvidersToRegister: ["Microsoft.Storage", "Microsoft.OperationalInsights", "Microsoft.Insights"],
      storageUseAzuread: true,
    });
    new TimeProvider(this, "time", {});
    // Only to deliver the writer credential into the AWS secret.
    new AwsProvider(this, "aws", {
      region: env.aws.region,
      allowedAccountIds: [env.aws.accountId],
      defaultTags: [{ tags: { ...env.tags } }],
    });

    const rg = new ResourceGroup(this, "rg", { name: az.resourceGroupName, location: az.location, tags: env.tags });
    this.storage = new VaultStorageAccount(this, "storage", {
      name: az.storageAccountName,
      resourceGroupName: rg.name,
      location: rg.location,
      replicationType: az.replicationType,
      allowedIps: props.allowedIps,
      softDeleteRetentionDays: az.softDeleteRetentionDays,
      maxSasValidityDays: az.sasValidityDays,
      tags: env.tags,
    });
    this.vault = new VaultContainer(this, "vault", {
      storageAccountId: this.storage.account.id,
      containerName: az.containerName,
      immutabilityDays: az.immutabilityDays,
      immutabilityLocked: az.immutabilityLocked,
      coolAfterDays: az.coolAfterDays,
      archiveAfterDays: az.archiveAfterDays,
    });
    this.writerCredential = new VaultWriterCredential(this, "writer", {
      connectionString: this.storage.account.primaryConnectionString,
      containerName: this.vault.container.name,
      blobEndpoint: deriveNames(env).vaultBlobEndpoint,
      awsSecretArn: props.vaultSecretArn,
      validityDays: az.sasValidityDays,
      rotationDays: az.sasRotationDays,
    });
    this.listerCredential = new VaultWriterCredential(this, "lister", {
      connectionString: this.storage.account.primaryConnectionString,
      containerName: this.vault.container.name,
      blobEndpoint: deriveNames(env).vaultBlobEndpoint,
      awsSecretArn: props.listerSecretArn,
      validityDays: az.sasValidityDays,
      rotationDays: az.sasRotationDays,
      access: "lister",
    });
    // The credentials must not be issued before the container (and its WORM policy) exist.
    this.writerCredential.node.addDependency(this.vault.immutabilityPolicy);
    this.listerCredential.node.addDependency(this.vault.immutabilityPolicy);

    this.audit = new VaultAuditTrail(this, "audit", {
      workspaceName: `log-${az.storageAccountName}`,
      resourceGroupName: rg.name,
      location: rg.location,
      storageAccountId: this.storage.account.id,
      retentionDays: az.auditLogRetentionDays,
      tags: env.tags,
    });

    new TerraformOutput(this, "storage_account_name", { value: this.storage.account.name });
    new TerraformOutput(this, "vault_container", { value: this.vault.container.name });
    new TerraformOutput(this, "blob_endpoint", { value: this.storage.account.primaryBlobEndpoint });
    new TerraformOutput(this, "audit_log_workspace_id", { value: this.audit.workspace.id, description: "Log Analytics workspace holding the vault's StorageRead/Write/Delete logs" });
  }
}
