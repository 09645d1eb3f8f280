import { AzurermBackend, LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import type { EnvironmentConfig } from "../config/types";

/**
 * Local state unless the environment names a backend: S3 (encrypted, with
 * S3-native locking) for `<env>-aws`, azurerm (Entra ID auth) for `<env>-azure`.
 * Separate state per stack keeps the vault's state out of AWS.
 */
export function configureBackend(stack: TerraformStack, env: EnvironmentConfig, side: "aws" | "azure"): void {
  const stackName = `${env.name}-${side}`;
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
