import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Application } from "@cdktf/provider-azuread/lib/application";
import { ApplicationFederatedIdentityCredential } from "@cdktf/provider-azuread/lib/application-federated-identity-credential";
import { DataAzureadClientConfig } from "@cdktf/provider-azuread/lib/data-azuread-client-config";
import { ServicePrincipal } from "@cdktf/provider-azuread/lib/service-principal";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { createHash } from "node:crypto";
import { dependable, Fn } from "cdktf";
import { Construct } from "constructs";

/** Audience Entra ID requires in federated client assertions (and the only one our roles may request). */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/**
 * The only data actions of the writer role: create blobs, nothing else (no read, list or delete).
 * - `blobs/add/action` "Create a blob or snapshot, or append data": Put Blob and Put Block List
 *   of a new blob (the archiver always sends `If-None-Match: *`).
 *   https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-attributes#create-a-blob-or-snapshot-or-append-data
 * - `blobs/write`: Put Block, which stages the blocks of a streamed attachment, requires it;
 *   Azure has no create-only action for staging blocks.
 *   https://learn.microsoft.com/rest/api/storageservices/put-block#authorization
 *   https://learn.microsoft.com/rest/api/storageservices/put-blob#authorization
 * `blobs/write` would also allow overwriting: the container's time-based immutability (WORM)
 * policy refuses every overwrite and delete of a blob under retention, and every write the
 * archiver makes is conditional (`If-None-Match: *`), so create-only holds (docs/security.md).
 */
export const VAULT_WRITER_DATA_ACTIONS = [
  "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
  "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
  // Blob index tags sent with Put Blob / Put Block List (`x-ms-tags`) need their own action; it
  // allows setting tags, not reading them or the blob (storage-manage-find-blobs, "Setting blob index tags").
  "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/write",
] as const;

/**
 * The one data action of the list-only role. List Blobs needs `blobs/read`, which also
 * allows Get Blob (content) and Get Blob Properties; the assignment's condition
 * ({@link LIST_ONLY_CONDITION}) narrows it to the `Blob.List` suboperation.
 * https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-attributes#list-blobs
 */
export const VAULT_LISTER_DATA_ACTIONS = ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"] as const;

/**
 * Role-assignment condition (ABAC, condition version 2.0): a `blobs/read` request is
 * allowed only when it is the `Blob.List` suboperation. Read as "the request is not
 * (a blob read that is not List Blobs)": List Blobs passes, Get Blob and Get Blob
 * Properties are refused, whatever other read operations Azure adds later. The form
 * Microsoft's examples use for "Read a blob" excluding List Blobs:
 * https://learn.microsoft.com/azure/role-based-access-control/conditions-format
 * https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-examples
 */
export const LIST_ONLY_CONDITION =
  "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND NOT SubOperationMatches{'Blob.List'})))";
/** The condition language version Azure requires for storage conditions. */
export const CONDITION_VERSION = "2.0";

/**
 * A fixed id for one of the vault's custom roles, derived from the storage account name
 * (globally unique) and the role's purpose, so the deployer's role-assignment condition
 * ({@link deployerAssignmentCondition}) can name the roles before they exist. Formatted as
 * a name-based (version 5 style) UUID.
 */
export function vaultRoleDefinitionId(storageAccountName: string, purpose: "writer" | "lister" | "auditor" | "legal-hold"): string {
  const h = createHash("sha1").update(`gcv-vault-role:${storageAccountName}:${purpose}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The condition (ABAC, version 2.0) for the deployer's "Role Based Access Control
 * Administrator" assignment on the vault's resource group: it may create and delete role
 * assignments only of the vault's own custom roles, each only for its kind of principal:
 * the writer's and lister's roles for service principals, the compliance roles (auditor,
 * legal hold) for groups. The halves are Microsoft's "Constrain roles and principal types"
 * example: creation is checked on the request (`@Request`), deletion on the existing
 * assignment (`@Resource`).
 * https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples
 * https://learn.microsoft.com/azure/role-based-access-control/conditions-authorization-actions-attributes
 */
export function deployerAssignmentCondition(servicePrincipalRoleIds: readonly string[], groupRoleIds: readonly string[] = []): string {
  const allowed = (source: "Request" | "Resource", ids: readonly string[], principalType: string) => [
    " (",
    `  @${source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${[...ids].sort().join(", ")}}`,
    "  AND",
    `  @${source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'${principalType}'}`,
    " )",
  ];
  const half = (action: "write" | "delete", source: "Request" | "Resource") =>
    [
      "(",
      " (",
      `  !(ActionMatches{'Microsoft.Authorization/roleAssignments/${action}'})`,
      " )",
      " OR",
      ...allowed(source, servicePrincipalRoleIds, "ServicePrincipal"),
      ...(groupRoleIds.length ? [" OR", ...allowed(source, groupRoleIds, "Group")] : []),
      ")",
    ].join("\n");
  return `${half("write", "Request")}\nAND\n${half("delete", "Resource")}`;
}

/** An Entra application trusted, through a federated credential, by exactly one AWS role. */
interface FederatedApplication {
  readonly client: DataAzureadClientConfig;
  readonly application: Application;
  readonly servicePrincipal: ServicePrincipal;
  readonly federatedCredential: ApplicationFederatedIdentityCredential;
}

/** The application, its service principal and its federated credential, created in `scope`. */
function federatedApplication(
  scope: Construct,
  props: { name: string; issuer: string; subjectRoleArn: string; credentialId: string; credentialName: string; description: string; owners: readonly string[] },
): FederatedApplication {
  const client = new DataAzureadClientConfig(scope, "deployer", {});
  // An owner can add secrets, certificates and federated credentials, i.e. sign in as the
  // application. Owners are the configured break-glass principals, never whoever applies:
  // the plan fails if the applying identity is among them.
  const notTheApplier = {
    condition: `\${!contains(${JSON.stringify(props.owners)}, ${client.fqn}.object_id)}`,
    errorMessage: `The identity applying this stack is listed in azure.applicationOwnerObjectIds: owners of ${props.name} can add credentials to it, so the deploying identity must not be one (docs/security.md#who-can-do-what).`,
  };
  const application = new Application(scope, "application", {
    displayName: props.name,
    signInAudience: "AzureADMyOrg",
    owners: [...props.owners],
    lifecycle: { precondition: [notTheApplier] },
  });
  const servicePrincipal = new ServicePrincipal(scope, "service-principal", {
    clientId: application.clientId,
    owners: [...props.owners],
    lifecycle: { precondition: [notTheApplier] },
  });
  const federatedCredential = new ApplicationFederatedIdentityCredential(scope, props.credentialId, {
    applicationId: application.id,
    displayName: props.credentialName,
    description: props.description,
    issuer: props.issuer,
    subject: props.subjectRoleArn,
    audiences: [TOKEN_EXCHANGE_AUDIENCE],
  });
  return { client, application, servicePrincipal, federatedCredential };
}

/** Writes the identity's non-secret coordinates into the AWS secret once it is trusted and authorized. */
function deliverCoordinates(scope: Construct, app: FederatedApplication, props: { awsSecretArn: string; blobEndpoint: string; containerName: string }, after: RoleAssignment[]) {
  const coordinates = new SecretsmanagerSecretVersion(scope, "delivery", {
    secretId: props.awsSecretArn,
    secretString: Fn.jsonencode({
      blobEndpoint: props.blobEndpoint,
      containerName: props.containerName,
      tenantId: app.client.tenantId,
      clientId: app.application.clientId,
    }),
  });
  // The function must not get coordinates before it is trusted and authorized.
  coordinates.dependsOn = [dependable(app.federatedCredential), ...after.map((a) => dependable(a))];
  return coordinates;
}

/**
 * The custom role "list blobs in the vault container": `blobs/read` only, always
 * assigned with {@link LIST_ONLY_CONDITION}, so its holders see names, sizes and
 * metadata (our sha256) and never content.
 */
export class VaultListerRole extends Construct {
  public readonly role: RoleDefinition;
  private readonly containerResourceManagerId: string;

  constructor(scope: Construct, id: string, props: { name: string; roleDefinitionId: string; roleDefinitionScope: string; containerResourceManagerId: string }) {
    super(scope, id);
    this.containerResourceManagerId = props.containerResourceManagerId;
    this.role = new RoleDefinition(this, "role", {
      roleDefinitionId: props.roleDefinitionId,
      name: `${props.name} (list-only blobs)`,
      scope: props.roleDefinitionScope,
      description: "List blobs (names, sizes, metadata) in the vault container; the assignment condition refuses every other blob read",
      permissions: [{ actions: [], dataActions: [...VAULT_LISTER_DATA_ACTIONS], notActions: [], notDataActions: [] }],
      assignableScopes: [props.roleDefinitionScope],
    });
  }

  /** Assigns the role to `principalId` at the container, restricted to List Blobs. */
  assign(scope: Construct, id: string, principalId: string): RoleAssignment {
    return new RoleAssignment(scope, id, {
      scope: this.containerResourceManagerId,
      roleDefinitionId: this.role.roleDefinitionResourceId,
      principalId,
      principalType: "ServicePrincipal",
      condition: LIST_ONLY_CONDITION,
      conditionVersion: CONDITION_VERSION,
      // A new service principal may not have replicated yet when the assignment is made.
      skipServicePrincipalAadCheck: true,
    });
  }
}

export interface VaultWriterIdentityProps {
  /** Display name of the Entra application and prefix of the role name, e.g. `gcv-prod-vault-writer`. */
  readonly name: string;
  /** Object ids (users or service principals) that own the application: `azure.applicationOwnerObjectIds`. */
  readonly owners: readonly string[];
  /** The AWS account's outbound identity federation issuer URL (`iss` of its tokens). */
  readonly issuer: string;
  /** ARN of the archiver's IAM role (`sub` of its tokens): a cross-stack reference. */
  readonly subjectRoleArn: string;
  /** Fixed id of the custom role ({@link vaultRoleDefinitionId}), named in the deployer's assignment condition. */
  readonly roleDefinitionId: string;
  /** Where the custom role is defined (the resource group id). */
  readonly roleDefinitionScope: string;
  /** Resource manager id of the vault container: the role is assigned there and nowhere else. */
  readonly containerResourceManagerId: string;
  /** `https://<account>.blob.core.windows.net` */
  readonly blobEndpoint: string;
  readonly containerName: string;
  /** ARN of the AWS secret the archiver reads its coordinates from. */
  readonly awsSecretArn: string;
  /** Also let the archiver list the container (its check of what earlier attempts committed). */
  readonly listerRole?: VaultListerRole;
}

/**
 * The archiver's identity in Entra ID, trusted through federation instead of a secret:
 * an application and its service principal, a federated identity credential that accepts
 * only tokens from the AWS account's issuer whose subject is the archiver role, and a
 * custom role that can create blobs in the vault container and nothing else.
 *
 * The AWS secret receives only non-secret coordinates (endpoint, container, tenant id,
 * client id); nothing in this construct's state is a credential.
 */
export class VaultWriterIdentity extends Construct {
  public readonly application: Application;
  public readonly servicePrincipal: ServicePrincipal;
  public readonly federatedCredential: ApplicationFederatedIdentityCredential;
  public readonly role: RoleDefinition;
  public readonly assignment: RoleAssignment;
  public readonly coordinates: SecretsmanagerSecretVersion;
  /** The list-only assignment, when `listerRole` is given. */
  public readonly listAssignment?: RoleAssignment;

  constructor(scope: Construct, id: string, props: VaultWriterIdentityProps) {
    super(scope, id);
    const app = federatedApplication(this, { ...props, credentialId: "aws-archiver", credentialName: "aws-transcript-archiver", description: "AWS IAM outbound identity federation: the transcript archiver's role" });
    this.application = app.application;
    this.servicePrincipal = app.servicePrincipal;
    this.federatedCredential = app.federatedCredential;
    this.role = new RoleDefinition(this, "role", {
      roleDefinitionId: props.roleDefinitionId,
      name: `${props.name} (create-only blobs)`,
      scope: props.roleDefinitionScope,
      description: "Create blobs in the vault container; no read, list or delete",
      permissions: [{ actions: [], dataActions: [...VAULT_WRITER_DATA_ACTIONS], notActions: [], notDataActions: [] }],
      assignableScopes: [props.roleDefinitionScope],
    });
    this.assignment = new RoleAssignment(this, "assignment", {
      scope: props.containerResourceManagerId,
      roleDefinitionId: this.role.roleDefinitionResourceId,
      principalId: this.servicePrincipal.objectId,
      principalType: "ServicePrincipal",
      // A new service principal may not have replicated yet when the assignment is made.
      skipServicePrincipalAadCheck: true,
    });
    this.listAssignment = props.listerRole?.assign(this, "list-assignment", this.servicePrincipal.objectId);
    this.coordinates = deliverCoordinates(this, app, props, [this.assignment, ...(this.listAssignment ? [this.listAssignment] : [])]);
  }
}

export interface VaultReconcilerIdentityProps {
  /** Display name of the Entra application, e.g. `gcv-prod-vault-reconciler`. */
  readonly name: string;
  /** Object ids (users or service principals) that own the application: `azure.applicationOwnerObjectIds`. */
  readonly owners: readonly string[];
  /** The AWS account's outbound identity federation issuer URL. */
  readonly issuer: string;
  /** ARN of the reconciler's IAM role (`sub` of its tokens): a cross-stack reference. */
  readonly subjectRoleArn: string;
  readonly listerRole: VaultListerRole;
  readonly blobEndpoint: string;
  readonly containerName: string;
  /** ARN of the AWS secret the reconciler reads its coordinates from (`<prefix>/azure-vault-lister`). */
  readonly awsSecretArn: string;
}

/**
 * The reconciler's own identity in Entra ID: an application trusted only by the
 * reconciler's AWS role, holding only the list-only role. It proves that manifests
 * exist; it cannot read, write or delete a blob. No SAS and no key: what the
 * reconciler's List-only SAS is in `sas` mode.
 */
export class VaultReconcilerIdentity extends Construct {
  public readonly application: Application;
  public readonly servicePrincipal: ServicePrincipal;
  public readonly federatedCredential: ApplicationFederatedIdentityCredential;
  public readonly assignment: RoleAssignment;
  public readonly coordinates: SecretsmanagerSecretVersion;

  constructor(scope: Construct, id: string, props: VaultReconcilerIdentityProps) {
    super(scope, id);
    const app = federatedApplication(this, { ...props, credentialId: "aws-reconciler", credentialName: "aws-vault-reconciler", description: "AWS IAM outbound identity federation: the vault reconciler's role" });
    this.application = app.application;
    this.servicePrincipal = app.servicePrincipal;
    this.federatedCredential = app.federatedCredential;
    this.assignment = props.listerRole.assign(this, "assignment", this.servicePrincipal.objectId);
    this.coordinates = deliverCoordinates(this, app, props, [this.assignment]);
  }
}
