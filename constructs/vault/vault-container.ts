import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { StorageContainerImmutabilityPolicy } from "@cdktf/provider-azurerm/lib/storage-container-immutability-policy";
import { StorageManagementPolicy } from "@cdktf/provider-azurerm/lib/storage-management-policy";
import { Construct } from "constructs";

export interface VaultContainerProps {
  /** Resource manager id of the storage account. */
  readonly storageAccountId: string;
  readonly containerName: string;
  /** Time-based retention (WORM) period in days. */
  readonly immutabilityDays: number;
  /** Lock the policy (irreversible: it can then only be extended). */
  readonly immutabilityLocked: boolean;
  /** Days after creation before blobs move to the cool tier. */
  readonly coolAfterDays: number;
  /** Days after creation before blobs move to the cold tier (any redundancy). @default no cold tier */
  readonly coldAfterDays?: number;
  /**
   * Days after creation before blobs move to the archive tier. Only LRS, GRS and RAGRS
   * accounts support archive (config validation refuses it for the others). @default no archive tier
   */
  readonly archiveAfterDays?: number;
}

/**
 * The private vault container with a time-based immutability policy: blobs can
 * be created but neither overwritten nor deleted until the period ends. The
 * lifecycle policy only moves blobs to cheaper tiers (cool, then cold and/or
 * archive); it never deletes. Azure allows changing the tier of a blob under
 * time-based retention, so tiering and WORM do not conflict.
 */
export class VaultContainer extends Construct {
  public readonly container: StorageContainer;
  public readonly immutabilityPolicy: StorageContainerImmutabilityPolicy;
  public readonly lifecyclePolicy: StorageManagementPolicy;

  constructor(scope: Construct, id: string, props: VaultContainerProps) {
    super(scope, id);
    // storage_account_id makes the provider use the management plane, which the
    // account firewall does not block (the data plane would be, from CI).
    this.container = new StorageContainer(this, "container", {
      name: props.containerName,
      storageAccountId: props.storageAccountId,
      containerAccessType: "private",
    });
    this.immutabilityPolicy = new StorageContainerImmutabilityPolicy(this, "immutability", {
      storageContainerResourceManagerId: this.container.id,
      immutabilityPeriodInDays: props.immutabilityDays,
      locked: props.immutabilityLocked,
      protectedAppendWritesEnabled: false,
      protectedAppendWritesAllEnabled: false,
    });
    this.lifecyclePolicy = new StorageManagementPolicy(this, "lifecycle", {
      storageAccountId: props.storageAccountId,
      rule: [
        {
          name: "tier-vault-blobs",
          enabled: true,
          filters: { blobTypes: ["blockBlob"], prefixMatch: [`${props.containerName}/`] },
          actions: {
            // Left out, an attribute stays at the provider's "not set" (-1): no such action.
            baseBlob: {
              tierToCoolAfterDaysSinceCreationGreaterThan: props.coolAfterDays,
              tierToColdAfterDaysSinceCreationGreaterThan: props.coldAfterDays,
              tierToArchiveAfterDaysSinceCreationGreaterThan: props.archiveAfterDays,
            },
            version: {
              changeTierToCoolAfterDaysSinceCreation: props.coolAfterDays,
              tierToColdAfterDaysSinceCreationGreaterThan: props.coldAfterDays,
              changeTierToArchiveAfterDaysSinceCreation: props.archiveAfterDays,
            },
          },
        },
      ],
    });
  }
}
