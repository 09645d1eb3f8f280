import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { Construct } from "constructs";

/**
 * The management-plane action of both compliance roles: Get Container (Blob Containers - Get)
 * through Azure Resource Manager, whose response carries the container's immutability policy
 * (period, state Locked/Unlocked) and legal hold tags. ARM is not behind the storage firewall.
 * https://learn.microsoft.com/azure/role-based-access-control/permissions/storage ("Returns a container")
 * https://learn.microsoft.com/rest/api/storagerp/blob-containers/get
 */
export const CONTAINER_READ_ACTION = "Microsoft.Storage/storageAccounts/blobServices/containers/read";

/**
 * The auditor role's data actions: read, never write, add or delete.
 * - `blobs/read`: Get Blob, Get Blob Properties, List Blobs (download and list the records).
 * - `blobs/tags/read`: Get Blob Tags and List Blobs with `include=tags`; blob read does not cover tags.
 * - `blobs/filter/action`: Find Blobs by Tags; neither read nor list covers it.
 * https://learn.microsoft.com/azure/storage/blobs/storage-manage-find-blobs#role-based-access-control
 * https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory#permissions-for-blob-service-operations
 */
export const VAULT_AUDITOR_DATA_ACTIONS = [
  "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
  "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/read",
  "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/filter/action",
] as const;

/**
 * The legal-hold role's actions: set and clear the container's legal hold tags (Blob Containers -
 * Set Legal Hold / Clear Legal Hold, both through Azure Resource Manager) and read the container
 * to see the holds in place. No data action: a hold manager reads no record.
 * https://learn.microsoft.com/azure/role-based-access-control/permissions/storage
 * ("Set blob container legal hold", "Clear blob container legal hold")
 */
export const VAULT_LEGAL_HOLD_ACTIONS = [
  CONTAINER_READ_ACTION,
  "Microsoft.Storage/storageAccounts/blobServices/containers/setLegalHold/action",
  "Microsoft.Storage/storageAccounts/blobServices/containers/clearLegalHold/action",
] as const;

export interface VaultComplianceAccessProps {
  /** Prefix of the role names, e.g. `gcv-prod-vault`; role names are unique in the tenant. */
  readonly name: string;
  /** Where the custom roles are defined (the resource group id). */
  readonly roleDefinitionScope: string;
  /** Resource manager id of the vault container: every assignment is made there and nowhere else. */
  readonly containerResourceManagerId: string;
  /** Fixed id of the auditor role (`vaultRoleDefinitionId(account, "auditor")`), named by the deployer's condition. */
  readonly auditorRoleDefinitionId: string;
  /** Fixed id of the legal-hold role (`vaultRoleDefinitionId(account, "legal-hold")`). */
  readonly legalHoldRoleDefinitionId: string;
  /** Object ids of the Entra groups that may read the vault. */
  readonly readerGroupObjectIds: readonly string[];
  /**
   * Object ids of the Entra groups that may set and clear legal holds.
   * @default none: no legal-hold role is defined
   */
  readonly legalHoldGroupObjectIds?: readonly string[];
}

/**
 * Compliance access to the vault container, for Entra groups (people, never workloads):
 * a read-only "vault auditor" role (blobs, their index tags, Find Blobs by Tags, and the
 * container's immutability and hold state) and, when configured, a "vault legal hold" role
 * that can only set and clear legal holds. Both are assigned at the container, so they
 * reach no other container of the account. Neither can write, add or delete a blob.
 */
export class VaultComplianceAccess extends Construct {
  public readonly auditorRole: RoleDefinition;
  /** One per reader group, in configuration order. */
  public readonly auditorAssignments: RoleAssignment[];
  /** Only when legal-hold groups are configured. */
  public readonly legalHoldRole?: RoleDefinition;
  public readonly legalHoldAssignments: RoleAssignment[];

  constructor(scope: Construct, id: string, props: VaultComplianceAccessProps) {
    super(scope, id);
    const defineRole = (roleId: string, roleDefinitionId: string, suffix: string, description: string, actions: readonly string[], dataActions: readonly string[]) =>
      new RoleDefinition(this, roleId, {
        roleDefinitionId,
        name: `${props.name}-${suffix}`,
        scope: props.roleDefinitionScope,
        description,
        permissions: [{ actions: [...actions], dataActions: [...dataActions], notActions: [], notDataActions: [] }],
        assignableScopes: [props.roleDefinitionScope],
      });
    const assignToGroups = (role: RoleDefinition, prefix: string, groups: readonly string[]) =>
      groups.map(
        (groupId) =>
          new RoleAssignment(this, `${prefix}-${groupId.toLowerCase()}`, {
            scope: props.containerResourceManagerId,
            roleDefinitionId: role.roleDefinitionResourceId,
            principalId: groupId,
            principalType: "Group",
          }),
      );

    this.auditorRole = defineRole(
      "auditor-role",
      props.auditorRoleDefinitionId,
      "auditor (read-only)",
      "Read the vault container for compliance: blobs, index tags, Find Blobs by Tags, immutability and legal hold state; no write, add or delete",
      [CONTAINER_READ_ACTION],
      VAULT_AUDITOR_DATA_ACTIONS,
    );
    this.auditorAssignments = assignToGroups(this.auditorRole, "auditor", props.readerGroupObjectIds);

    const holders = props.legalHoldGroupObjectIds ?? [];
    if (holders.length > 0) {
      this.legalHoldRole = defineRole(
        "legal-hold-role",
        props.legalHoldRoleDefinitionId,
        "legal-hold",
        "Set and clear legal holds on the vault container and read its state; no blob data access",
        VAULT_LEGAL_HOLD_ACTIONS,
        [],
      );
    }
    this.legalHoldAssignments = this.legalHoldRole ? assignToGroups(this.legalHoldRole, "legal-hold", holders) : [];
  }
}
