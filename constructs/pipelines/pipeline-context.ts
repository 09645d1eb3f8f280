import type { EnvironmentConfig } from "../../config/types";
import { metricsNamespace } from "../../functions/shared/metric-names";

/** What every pipeline takes from its environment's foundation. */
export interface PipelineContext {
  readonly env: EnvironmentConfig;
  /** Resource name prefix, e.g. `gcv-dev`. */
  readonly prefix: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly kmsKeyArn: string;
  readonly alarmTopicArn: string;
  /** The Genesys partner event bus. */
  readonly eventBusName: string;
  readonly genesysSecretArn: string;
  /** Private subnets and the egress-only security group: Lambdas placed here leave via the NAT EIPs. */
  readonly vpc: { readonly subnetIds: string[]; readonly securityGroupIds: string[] };
  readonly idempotencyTableArn: string;
  readonly idempotencyTableName: string;
}

/** Configuration every function that calls Genesys reads. */
export function genesysEnvironment(ctx: PipelineContext): Record<string, string> {
  return { GENESYS_REGION_DOMAIN: ctx.env.genesys.regionDomain, GENESYS_SECRET_ARN: ctx.genesysSecretArn };
}

/** Reading one secret (its value is decrypted with the environment key, which every function may use). */
export function readSecret(arn: string, sid: string) {
  return { Sid: sid, Effect: "Allow" as const, Action: "secretsmanager:GetSecretValue", Resource: arn };
}

/** The props every pipeline function takes from the environment. */
export function functionBasics(ctx: PipelineContext) {
  return {
    accountId: ctx.accountId,
    kmsKeyArn: ctx.kmsKeyArn,
    logRetentionDays: ctx.env.aws.logRetentionDays,
    alarmTopicArn: ctx.alarmTopicArn,
    metricsNamespace: metricsNamespace(ctx.env.name),
  };
}
