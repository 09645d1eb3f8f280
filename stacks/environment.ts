import type { Construct } from "constructs";
import { Aspects } from "cdktf";
import type { EnvironmentConfig } from "../config/types";
import { SecurityPolicyAspect } from "../constructs/policy/security-policy";
import { AwsStack } from "./aws-stack";
import { AzureStack } from "./azure-stack";

export interface EnvironmentStacks {
  readonly aws: AwsStack;
  readonly azure: AzureStack;
}

/**
 * Adds `<env>-aws` and `<env>-azure` to the app. The Azure firewall allowlist
 * and the credential's destination are native cross-stack references to the
 * AWS stack; nothing flows the other way, so there is no reference cycle.
 */
export function addEnvironment(scope: Construct, env: EnvironmentConfig): EnvironmentStacks {
  const aws = new AwsStack(scope, `${env.name}-aws`, { env });
  const azure = new AzureStack(scope, `${env.name}-azure`, {
    env,
    allowedIps: aws.network.natEips.map((eip) => eip.publicIp),
    vaultSecretArn: aws.vaultSecret.arn,
    listerSecretArn: aws.vaultListerSecret.arn,
  });
  for (const stack of [aws, azure]) Aspects.of(stack).add(new SecurityPolicyAspect());
  return { aws, azure };
}
