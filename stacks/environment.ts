import type { Construct } from "constructs";
import { Aspects } from "cdktf";
import type { EnvironmentConfig } from "../config/types";
import { SecurityPolicyAspect } from "../constructs/policy/security-policy";
import { AwsStack } from "./aws-stack";
import { AzureStack } from "./azure-stack";
import { GenesysActionsStack, GenesysStack } from "./genesys-stack";

export interface EnvironmentStacks {
  readonly aws: AwsStack;
  readonly azure: AzureStack;
  /** `<env>-genesys`, when `genesysStack.enabled`. */
  readonly genesys?: GenesysStack;
  /** `<env>-genesys-actions`, when `genesysStack.enabled` and the webhook receiver is deployed. */
  readonly genesysActions?: GenesysActionsStack;
}

/**
 * The environment's stacks in deployment order: with `genesysStack.enabled`,
 * `<env>-genesys` first (its EventBridge integration creates the partner event
 * source the bus attaches to); then `<env>-aws` (the bus, the NAT IPs and the
 * secrets the later stacks write into or read); then `<env>-azure`; and, when
 * the environment has webhook actions, `<env>-genesys-actions` (its data action
 * calls the webhook URL). The deploy and plan workflows follow this list
 * (scripts/ci-environments.ts prints it).
 */
export function deploymentOrder(env: Pick<EnvironmentConfig, "name" | "genesysStack" | "pipelines">): string[] {
  const genesys = env.genesysStack.enabled;
  return [
    ...(genesys ? [`${env.name}-genesys`] : []),
    `${env.name}-aws`,
    `${env.name}-azure`,
    ...(genesys && env.pipelines.webhook.actions.length > 0 ? [`${env.name}-genesys-actions`] : []),
  ];
}

/**
 * Adds `<env>-aws` and `<env>-azure` to the app. The Azure firewall allowlist
 * and the credential's destination are native cross-stack references to the
 * AWS stack, and so is the subject of the vault's federated identity (the archiver
 * role's ARN); nothing flows the other way, so there is no reference cycle.
 *
 * With `genesysStack.enabled`, `<env>-genesys` comes first (the EventBridge
 * integration creates the partner event source the AWS bus attaches to; it
 * needs only config, so `<env>-aws` depends on it by an explicit dependency),
 * and `<env>-genesys-actions` after `<env>-aws` (its data action calls the
 * webhook URL, a cross-stack reference). Deploy order:
 * genesys -> aws -> azure and genesys-actions.
 */
export function addEnvironment(scope: Construct, env: EnvironmentConfig): EnvironmentStacks {
  const aws = new AwsStack(scope, `${env.name}-aws`, { env });
  const azure = new AzureStack(scope, `${env.name}-azure`, {
    env,
    allowedIps: aws.network.natEips.map((eip) => eip.publicIp),
    vaultSecretArn: aws.vaultSecret.arn,
    listerSecretArn: aws.vaultListerSecret?.arn,
    archiverRoleArn: aws.transcriptVault.archiver.role.arn,
    reconcilerRoleArn: aws.transcriptVault.reconciler?.fn.role.arn,
  });
  let genesys: GenesysStack | undefined;
  let genesysActions: GenesysActionsStack | undefined;
  if (env.genesysStack.enabled) {
    genesys = new GenesysStack(scope, `${env.name}-genesys`, { env });
    aws.addDependency(genesys);
    if (aws.webhook) {
      genesysActions = new GenesysActionsStack(scope, `${env.name}-genesys-actions`, {
        env,
        webhookUrl: aws.webhook.endpointUrl,
      });
    }
  }
  const policy = new SecurityPolicyAspect({
    minLogRetentionDays: env.aws.logRetentionDays,
    // Only a SAS-mode vault writer needs shared-key authorization: Azure signs a service SAS with the account key.
    allowSharedKey: env.azure.writerAuth === "sas",
  });
  for (const stack of [aws, azure, genesys, genesysActions]) if (stack) Aspects.of(stack).add(policy);
  return { aws, azure, genesys, genesysActions };
}
