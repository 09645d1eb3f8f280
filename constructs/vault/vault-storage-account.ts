import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { Construct } from "constructs";
import type { AzureReplicationType } from "../../config/types";

export interface VaultStorageAccountProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly replicationType: AzureReplicationType;
  /**
   * The only source addresses admitted by the firewall: the AWS NAT Elastic
   * IPs and the auditors' networks, as bare IPs or public CIDRs up to /30
   * (Azure rejects /31 and /32 in ip_rules).
   */
  readonly allowedIps: string[];
  /** Soft-delete retention for blobs and containers, in days. */
  readonly softDeleteRetentionDays: number;
  /**
   * Allow Shared Key authorization (and so account-key SAS). Only the `sas` writer mode needs
   * it; with `false`, every data request must carry an Entra ID token.
   */
  readonly sharedKeyAccess: boolean;
  /**
   * Longest SAS validity the account accepts without logging a policy violation, in days (`sas` mode).
   * @default no SAS policy (without Shared Key no SAS can be signed with the account key)
   */
  readonly maxSasValidityDays?: number;
  readonly tags: Record<string, string>;
}

/**
 * The vault's StorageV2 account. Every insecure or permissive provider default
 * is overridden on purpose (see each comment), and the firewall admits only the
 * NAT egress IPs of the same environment's AWS stack and the configured auditors' networks.
 */
export class VaultStorageAccount extends Construct {
  public readonly account: StorageAccount;

  constructor(scope: Construct, id: string, props: VaultStorageAccountProps) {
    super(scope, id);
    this.account = new StorageAccount(this, "account", {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      accountKind: "StorageV2",
      accountTier: "Standard",
      accountReplicationType: props.replicationType,
      accessTier: "Hot",
      minTlsVersion: "TLS1_2", // explicit: older provider versions defaulted to TLS1_0
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false, // default true: containers could be made public
      crossTenantReplicationEnabled: false, // default was true before provider 4.0: data could leave the tenant
      infrastructureEncryptionEnabled: true, // double encryption at rest (default false)
      defaultToOauthAuthentication: true, // portal uses Entra ID, not the account key
      localUserEnabled: false, // no SFTP/local users (default true)
      sftpEnabled: false,
      // Only the `sas` writer mode signs with the key; otherwise Shared Key is refused outright
      // (Microsoft's guidance: https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent).
      sharedAccessKeyEnabled: props.sharedKeyAccess,
      // Must stay enabled for the IP allowlist to apply; default-deny below does the restricting.
      publicNetworkAccessEnabled: true,
      networkRules: {
        defaultAction: "Deny", // default Allow: any internet address could reach the account
        ipRules: props.allowedIps,
        bypass: ["None"], // default AzureServices: no trusted-service exception
      },
      sasPolicy: props.sharedKeyAccess && props.maxSasValidityDays !== undefined ? { expirationPeriod: `${props.maxSasValidityDays}.00:00:00`, expirationAction: "Log" } : undefined,
      blobProperties: {
        versioningEnabled: true,
        changeFeedEnabled: true,
        deleteRetentionPolicy: { days: props.softDeleteRetentionDays, permanentDeleteEnabled: false },
        containerDeleteRetentionPolicy: { days: props.softDeleteRetentionDays },
      },
      tags: props.tags,
    });
  }
}
