import { AzurermBackend, LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import type { EnvironmentConfig } from "../config/types";

/**
 * Local state unless the environment names a backend: S3 (encrypted, with
 * S3-native locking) for `<env>-aws` and the Genesys stacks, azurerm (Entra ID
 * auth) for `<env>-azure`.
 * Separate state per stack keeps the vault's state out of AWS.
 */
export function configureBackend(stack: TerraformStack, env: EnvironmentConfig, side: "aws" | "azure" | "genesys" | "genesys-actions"): void {
  const stackName = `${env.name}-${side}`;
  if (side.startsWith("genesys") && env.backends?.aws) {
    // The Genesys stacks keep their state beside the AWS stack's, under their own keys.
    const b = env.backends.aws;
    new S3Backend(stack, { bucket: b.bucket, key: `${env.name}/${side}.tfstate`, region: b.region ?? env.aws.region, encrypt: true, kmsKeyId: b.kmsKeyId }).addOverride("use_lockfile", true);
    return;
  }
  if (side === "aws" && env.backends?.aws) {
    const b = env.backends.aws;
    const backend = new S3Backend(stack, {
      bucket: b.bucket,
      key: b.key ?? `${env.name}/aws.tfstate`,
      region: b.region ?? env.aws.region,
      encrypt: true,
      kmsKeyId: b.kmsKeyId,
    });
    // Terraform >= 1.10 locks with an S3 lock object; no DynamoDB table needed.
    backend.addOverride("use_lockfile", true);
    return;
  }
  if (side === "azure" && env.backends?.azure) {
    const b = env.backends.azure;
    new AzurermBackend(stack, {
      resourceGroupName: b.resourceGroupName,
      storageAccountName: b.storageAccountName,
      containerName: b.containerName,
      key: b.key ?? `${env.name}/azure.tfstate`,
      useAzureadAuth: true,
    });
    return;
  }
  // State files live in the project root (stacks run in cdktf.out/stacks/<stack>), outside the
  // regenerated output; a relative path keeps the synthesized JSON identical on every machine and
  // lets `<env>-azure` read `<env>-aws` outputs through the same path.
  new LocalBackend(stack, { path: `../../../terraform.${stackName}.tfstate` });
}
