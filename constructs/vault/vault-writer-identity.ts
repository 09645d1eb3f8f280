import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Application } from "@cdktf/provider-azuread/lib/application";
import { ApplicationFederatedIdentityCredential } from "@cdktf/provider-azuread/lib/application-federated-identity-credential";
import { DataAzureadClientConfig } from "@cdktf/provider-azuread/lib/data-azuread-client-config";
import { ServicePrincipal } from "@cdktf/provider-azuread/lib/service-principal";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { dependable, Fn } from "cdktf";
import { Construct } from "constructs";

/** Audience Entra ID requires in federated client assertions (and the only one the archiver may request). */
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
] as const;

export interface VaultWriterIdentityProps {
  /** Display name of the Entra application and prefix of the role name, e.g. `gcv-prod-vault-writer`. */
  readonly name: string;
  /** The AWS account's outbound identity federation issuer URL (`iss` of its tokens). */
  readonly issuer: string;
  /** ARN of the archiver's IAM role (`sub` of its tokens): a cross-stack reference. */
  readonly subjectRoleArn: string;
  /** Where the custom role is defined (the resource group id). */
  readonly roleDefinitionScope: string;
  /** Resource manager id of the vault container: the role is assigned there and nowhere else. */
  readonly containerResourceManagerId: string;
  /** `https://<account>.blob.core.windows.net` */
  readonly blobEndpoint: string;
  readonly containerName: string;
  /** ARN of the AWS secret the archiver reads its coordinates from. */
  readonly awsSecretArn: string;
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

  constructor(scope: Construct, id: string, props: VaultWriterIdentityProps) {
    super(scope, id);
    const client = new DataAzureadClientConfig(this, "deployer", {});
    this.application = new Application(this, "application", {
      displayName: props.name,
      signInAudience: "AzureADMyOrg",
      // The deploying identity keeps ownership, so later applies can manage the application.
      owners: [client.objectId],
    });
    this.servicePrincipal = new ServicePrincipal(this, "service-principal", {
      clientId: this.application.clientId,
      owners: [client.objectId],
    });
    this.federatedCredential = new ApplicationFederatedIdentityCredential(this, "aws-archiver", {
      applicationId: this.application.id,
      displayName: "aws-transcript-archiver",
      description: "AWS IAM outbound identity federation: the transcript archiver's role",
      issuer: props.issuer,
      subject: props.subjectRoleArn,
      audiences: [TOKEN_EXCHANGE_AUDIENCE],
    });
    this.role = new RoleDefinition(this, "role", {
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
    this.coordinates = new SecretsmanagerSecretVersion(this, "delivery", {
      secretId: props.awsSecretArn,
      secretString: Fn.jsonencode({
        blobEndpoint: props.blobEndpoint,
        containerName: props.containerName,
        tenantId: client.tenantId,
        clientId: this.application.clientId,
      }),
    });
    // The archiver must not get coordinates before it is trusted and authorized.
    this.coordinates.dependsOn = [dependable(this.federatedCredential), dependable(this.assignment)];
  }
}
