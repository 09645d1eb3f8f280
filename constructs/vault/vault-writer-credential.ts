import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { DataAzurermStorageAccountBlobContainerSas } from "@cdktf/provider-azurerm/lib/data-azurerm-storage-account-blob-container-sas";
import { Rotating } from "@cdktf/provider-time/lib/rotating";
import { Fn, Token } from "cdktf";
import { Construct } from "constructs";

export interface VaultWriterCredentialProps {
  /** Connection string of the vault account (used only to sign the SAS, inside Terraform). */
  readonly connectionString: string;
  readonly containerName: string;
  /** `https://<account>.blob.core.windows.net` */
  readonly blobEndpoint: string;
  /** ARN of the AWS secret the archiver reads (created by the AWS stack). */
  readonly awsSecretArn: string;
  /** Validity of each token in days (> rotationDays). */
  readonly validityDays: number;
  /** A re-apply after this many days issues a fresh token. */
  readonly rotationDays: number;
  /**
   * What the token may do: `writer` creates and writes blobs (the archiver); `lister` only
   * lists names, sizes and metadata, which proves existence but cannot read, write or delete
   * content (the reconciler, and the archiver's check of earlier attempts). @default "writer"
   */
  readonly access?: "writer" | "lister";
}

const PERMISSIONS = {
  writer: { create: true, write: true, add: false, read: false, list: false, delete: false },
  lister: { create: false, write: false, add: false, read: false, list: true, delete: false },
} as const;

/**
 * A credential of the AWS side for the vault: a service SAS on the vault container,
 * HTTPS only, expiring. The writer can create and write blobs and nothing else (no
 * read, list or delete); the lister can list and nothing else (see `access`). A `time_rotating` resource makes a re-apply
 * after `rotationDays` issue a new token; the token is delivered into the AWS
 * secret through a write-only argument, so the secret version keeps no copy.
 */
export class VaultWriterCredential extends Construct {
  public readonly rotation: Rotating;
  public readonly sas: DataAzurermStorageAccountBlobContainerSas;

  constructor(scope: Construct, id: string, props: VaultWriterCredentialProps) {
    super(scope, id);
    this.rotation = new Rotating(this, "rotation", { rotationDays: props.rotationDays });
    const expiry = Fn.timeadd(this.rotation.rfc3339, `${props.validityDays * 24}h`);
    this.sas = new DataAzurermStorageAccountBlobContainerSas(this, "sas", {
      connectionString: props.connectionString,
      containerName: props.containerName,
      httpsOnly: true,
      start: this.rotation.rfc3339,
      expiry,
      permissions: { ...PERMISSIONS[props.access ?? "writer"] },
    });
    new SecretsmanagerSecretVersion(this, "delivery", {
      secretId: props.awsSecretArn,
      secretStringWo: Fn.jsonencode({
        blobEndpoint: props.blobEndpoint,
        containerName: props.containerName,
        sasToken: this.sas.sas,
        expiresOn: expiry,
      }),
      // A new version is written exactly when the rotation issues a new token.
      secretStringWoVersion: Token.asNumber(Fn.parseint(Fn.formatdate("YYYYMMDDhhmm", this.rotation.rfc3339), 10)),
    });
  }
}
