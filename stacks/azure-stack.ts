import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AzureadProvider } from "@cdktf/provider-azuread/lib/provider";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import { Annotations, dependable, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { AzureConfig, EnvironmentConfig } from "../config/types";
import { deriveNames, isProduction } from "../config/validate";
import { VaultAuditTrail } from "../constructs/vault/vault-audit-trail";
import { VaultComplianceAccess } from "../constructs/vault/vault-compliance-access";
import { VaultContainer } from "../constructs/vault/vault-container";
import { VaultStorageAccount } from "../constructs/vault/vault-storage-account";
import { VaultWriterCredential } from "../constructs/vault/vault-writer-credential";
import { deployerAssignmentCondition, VaultListerRole, VaultReconcilerIdentity, VaultWriterIdentity, vaultRoleDefinitionId } from "../constructs/vault/vault-writer-identity";
import { configureBackend } from "./backends";

export interface AzureStackProps {
  readonly env: EnvironmentConfig;
  /** NAT Elastic IPs of the same environment's AWS stack (cross-stack references). */
  readonly allowedIps: string[];
  /** ARN of the AWS secret that receives the vault coordinates or SAS (cross-stack reference). */
  readonly vaultSecretArn: string;
  /**
   * ARN of the AWS secret that receives the list-only credential (cross-stack reference):
   * required in `sas` mode and with the reconciler (federated mode without it has none).
   */
  readonly listerSecretArn?: string;
  /** ARN of the archiver's IAM role, the subject the federated credential trusts (cross-stack reference). */
  readonly archiverRoleArn: string;
  /** ARN of the vault reconciler's IAM role, when it is deployed (cross-stack reference). */
  readonly reconcilerRoleArn?: string;
}

/**
 * `<env>-azure`: the immutable vault, trusting only the AWS stack's NAT egress IPs and,
 * in `federated` mode, only the AWS archiver's and reconciler's role identities (no key
 * or SAS exists): the archiver creates and lists, the reconciler only lists.
 */
export class AzureStack extends TerraformStack {
  public readonly storage: VaultStorageAccount;
  public readonly vault: VaultContainer;
  /** `sas` mode: the SAS issued with the account key. */
  public readonly writerCredential?: VaultWriterCredential;
  /** `sas` mode: the list-only SAS of the reconciler and the archiver's checks. */
  public readonly listerCredential?: VaultWriterCredential;
  public readonly audit: VaultAuditTrail;
  /** `federated` mode: the archiver's Entra identity and its create-only role. */
  public readonly writerIdentity?: VaultWriterIdentity;
  /** `federated` mode: the list-only role (ABAC condition: List Blobs only). */
  public readonly listerRole?: VaultListerRole;
  /** `federated` mode with the reconciler: its own list-only Entra identity. */
  public readonly reconcilerIdentity?: VaultReconcilerIdentity;
  /** With `azure.compliance`: the auditors' read-only role and the optional legal-hold role. */
  public readonly compliance?: VaultComplianceAccess;

  constructor(scope: Construct, id: string, props: AzureStackProps) {
    super(scope, id);
    const { env } = props;
    const az = env.azure;
    const names = deriveNames(env);
    const federated = names.vaultWriterAuth === "federated";
    configureBackend(this, env, "azure");

    new AzurermProvider(this, "azurerm", {
      // Manage storage through Azure Resource Manager only: azurerm would otherwise read the
      // account's queue and static-website properties over the data plane on every refresh,
      // which the firewall refuses from CI and which would need a data-plane role (and, with
      // Shared Key off, an Entra one) for whoever plans.
      features: [{ storage: [{ dataPlaneAvailable: false }] }],
      subscriptionId: az.subscriptionId,
      // Register only the resource providers this stack uses (not ~70 by default).
      resourceProviderRegistrations: "none",
      resourceProvidersToRegister: ["Microsoft.Storage", "Microsoft.OperationalInsights", "Microsoft.Insights"],
      // Data-plane calls use Entra ID, never the account key: planning reads no key.
      storageUseAzuread: true,
    });
    if (federated) new AzureadProvider(this, "azuread", {});
    if (!federated) new TimeProvider(this, "time", {});
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
      // The auditors' networks sit next to the NAT IPs; the writer path is unchanged by them.
      allowedIps: [...props.allowedIps, ...(az.compliance?.networks ?? [])],
      softDeleteRetentionDays: az.softDeleteRetentionDays,
      sharedKeyAccess: !federated,
      maxSasValidityDays: federated ? undefined : sasDays(az).validityDays,
      tags: env.tags,
    });
    this.vault = new VaultContainer(this, "vault", {
      storageAccountId: this.storage.account.id,
      containerName: az.containerName,
      immutabilityDays: az.immutabilityDays,
      immutabilityLocked: az.immutabilityLocked,
      coolAfterDays: az.coolAfterDays,
      coldAfterDays: az.coldAfterDays,
      archiveAfterDays: az.archiveAfterDays,
    });
    // Fixed ids of the compliance roles, so the deployer's condition can name them before they exist.
    const auditorRoleId = vaultRoleDefinitionId(az.storageAccountName, "auditor");
    const legalHoldRoleId = vaultRoleDefinitionId(az.storageAccountName, "legal-hold");
    const complianceRoleIds = az.compliance ? [auditorRoleId, ...(az.compliance.legalHoldGroupObjectIds?.length ? [legalHoldRoleId] : [])] : [];
    if (federated) {
      const writerRoleId = vaultRoleDefinitionId(az.storageAccountName, "writer");
      const listerRoleId = vaultRoleDefinitionId(az.storageAccountName, "lister");
      this.listerRole = new VaultListerRole(this, "lister-role", {
        name: `${names.awsPrefix}-vault-lister`,
        roleDefinitionId: listerRoleId,
        roleDefinitionScope: rg.id,
        containerResourceManagerId: this.vault.container.id,
      });
      this.writerIdentity = new VaultWriterIdentity(this, "writer-identity", {
        name: `${names.awsPrefix}-vault-writer`,
        owners: az.applicationOwnerObjectIds ?? [],
        roleDefinitionId: writerRoleId,
        issuer: env.aws.outboundIdentityIssuer!,
        subjectRoleArn: props.archiverRoleArn,
        roleDefinitionScope: rg.id,
        containerResourceManagerId: this.vault.container.id,
        blobEndpoint: names.vaultBlobEndpoint,
        containerName: this.vault.container.name,
        awsSecretArn: props.vaultSecretArn,
        // The archiver lists what earlier attempts committed, with the same identity.
        listerRole: this.listerRole,
      });
      if (props.reconcilerRoleArn) {
        this.reconcilerIdentity = new VaultReconcilerIdentity(this, "reconciler-identity", {
          name: `${names.awsPrefix}-vault-reconciler`,
          owners: az.applicationOwnerObjectIds ?? [],
          issuer: env.aws.outboundIdentityIssuer!,
          subjectRoleArn: props.reconcilerRoleArn,
          listerRole: this.listerRole,
          blobEndpoint: names.vaultBlobEndpoint,
          containerName: this.vault.container.name,
          awsSecretArn: listerSecretOf(props, "the reconciler's identity delivers its coordinates there"),
        });
      }
      // The writer must not be able to create blobs before the WORM policy protects them
      // (depends_on: construct-level addDependency does not reach the Terraform JSON).
      this.writerIdentity.assignment.dependsOn = [dependable(this.vault.immutabilityPolicy)];
      // What an administrator pastes as the condition of the deployer's "Role Based Access
      // Control Administrator" assignment on the resource group (docs/security.md).
      new TerraformOutput(this, "deployer_role_assignment_condition", {
        // Literal ids (not references), so the condition can be read from synth before the first apply.
        value: deployerAssignmentCondition([writerRoleId, listerRoleId], complianceRoleIds),
        description:
          "Condition (version 2.0) for the deployer's Role Based Access Control Administrator assignment: only the vault's own roles, the writer's and lister's to service principals, the compliance roles to groups",
      });
    } else {
      this.writerCredential = new VaultWriterCredential(this, "writer", {
        connectionString: this.storage.account.primaryConnectionString,
        containerName: this.vault.container.name,
        blobEndpoint: names.vaultBlobEndpoint,
        awsSecretArn: props.vaultSecretArn,
        ...sasDays(az),
      });
      this.listerCredential = new VaultWriterCredential(this, "lister", {
        connectionString: this.storage.account.primaryConnectionString,
        containerName: this.vault.container.name,
        blobEndpoint: names.vaultBlobEndpoint,
        awsSecretArn: listerSecretOf(props, "sas mode delivers the List-only SAS there"),
        ...sasDays(az),
        access: "lister",
      });
      // The credentials must not be issued before the container (and its WORM policy) exist.
      this.writerCredential.sas.dependsOn = [dependable(this.vault.immutabilityPolicy)];
      this.listerCredential.sas.dependsOn = [dependable(this.vault.immutabilityPolicy)];
    }

    if (az.compliance) {
      this.compliance = new VaultComplianceAccess(this, "compliance", {
        name: `${names.awsPrefix}-vault`,
        roleDefinitionScope: rg.id,
        containerResourceManagerId: this.vault.container.id,
        auditorRoleDefinitionId: auditorRoleId,
        legalHoldRoleDefinitionId: legalHoldRoleId,
        readerGroupObjectIds: az.compliance.readerGroupObjectIds,
        legalHoldGroupObjectIds: az.compliance.legalHoldGroupObjectIds,
      });
    } else if (isProduction(env)) {
      // A production vault nobody may audit: worth a warning at synth.
      Annotations.of(this).addWarning(
        `${env.name}: nobody may audit the vault: set azure.compliance.readerGroupObjectIds (and azure.compliance.networks) to give compliance officers read-only access (docs/security.md)`,
      );
    }

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

function listerSecretOf(props: AzureStackProps, why: string): string {
  if (!props.listerSecretArn) throw new Error(`AzureStack ${props.env.name}: listerSecretArn is required: ${why}`);
  return props.listerSecretArn;
}

/** The SAS validity and rotation of `sas` mode, which validation requires there. */
function sasDays(az: AzureConfig): { validityDays: number; rotationDays: number } {
  if (az.sasValidityDays === undefined || az.sasRotationDays === undefined) throw new Error('azure.sasValidityDays and azure.sasRotationDays are required when azure.writerAuth is "sas"');
  return { validityDays: az.sasValidityDays, rotationDays: az.sasRotationDays };
}
