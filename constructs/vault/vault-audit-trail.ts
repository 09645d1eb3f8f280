import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { Construct } from "constructs";

export interface VaultAuditTrailProps {
  /** Log Analytics workspace name (4-63 letters, digits or '-'). */
  readonly workspaceName: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** The vault's storage account; its blob service is audited. */
  readonly storageAccountId: string;
  /** Retention of the logs in days (30-730, PerGB2018). */
  readonly retentionDays: number;
  readonly tags: Record<string, string>;
}

/** Resource log categories of a storage account's blob service: every read, write and delete. */
export const BLOB_AUDIT_CATEGORIES = ["StorageRead", "StorageWrite", "StorageDelete"] as const;

/**
 * The vault's audit trail: a diagnostic setting on the storage account's blob service
 * sends every StorageRead, StorageWrite and StorageDelete (caller, authentication type
 * including SAS, operation, blob, status) to a Log Analytics workspace in the same
 * stack, kept for `retentionDays`. It also makes the account's SAS expiration policy
 * (`expirationAction = Log`) observable: requests with longer-lived tokens are flagged
 * in these logs.
 */
export class VaultAuditTrail extends Construct {
  public readonly workspace: LogAnalyticsWorkspace;
  public readonly diagnosticSetting: MonitorDiagnosticSetting;

  constructor(scope: Construct, id: string, props: VaultAuditTrailProps) {
    super(scope, id);
    this.workspace = new LogAnalyticsWorkspace(this, "workspace", {
      name: props.workspaceName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      sku: "PerGB2018",
      retentionInDays: props.retentionDays,
      // Entra ID only: no shared workspace keys for queries or ingestion.
      localAuthenticationEnabled: false,
      tags: props.tags,
    });
    this.diagnosticSetting = new MonitorDiagnosticSetting(this, "blob-service", {
      name: "vault-audit",
      targetResourceId: `${props.storageAccountId}/blobServices/default`,
      logAnalyticsWorkspaceId: this.workspace.id,
      enabledLog: BLOB_AUDIT_CATEGORIES.map((category) => ({ category })),
    });
  }
}
