import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../../config/types";
import { genesysClientSecretName, type GenesysClientPipeline } from "../genesys/pipeline-clients";
import { ExternallySetSecret } from "../security/externally-set-secret";
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
  /** Private subnets and the egress-only security group: Lambdas placed here leave via the NAT EIPs. */
  readonly vpc: { readonly subnetIds: string[]; readonly securityGroupIds: string[] };
  readonly idempotencyTableArn: string;
  readonly idempotencyTableName: string;
}

/**
 * The pipeline's own Genesys OAuth client secret, `gcv-<env>/genesys-<pipeline>`:
 * one client per pipeline, so each function holds only its pipeline's
 * permissions (the archiver, which handles untrusted attachments, cannot edit
 * routing). The value is put outside Terraform (docs/genesys-as-code.md).
 */
export function genesysClientSecret(scope: Construct, ctx: PipelineContext, pipeline: GenesysClientPipeline): ExternallySetSecret {
  return new ExternallySetSecret(scope, "genesys-client-secret", {
    name: genesysClientSecretName(ctx.prefix, pipeline),
    description: `Genesys Cloud OAuth client of the ${pipeline} pipeline as JSON {clientId, clientSecret}; set outside Terraform`,
    kmsKeyArn: ctx.kmsKeyArn,
    recoveryWindowInDays: ctx.env.aws.secretRecoveryWindowDays,
    deployerRoleArns: ctx.env.aws.deployerRoleArns,
  });
}

/** Configuration every function that calls Genesys reads: the region and its own client's secret. */
export function genesysEnvironment(ctx: PipelineContext, secretArn: string): Record<string, string> {
  return { GENESYS_REGION_DOMAIN: ctx.env.genesys.regionDomain, GENESYS_SECRET_ARN: secretArn };
}

/** Reading one secret (its value is decrypted with the environment key, which every function may use). */
export function readSecret(arn: string, sid: string) {
  return { Sid: sid, Effect: "Allow" as const, Action: "secretsmanager:GetSecretValue", Resource: arn };
}

/** The props every pipeline function takes from the environment. */
export function functionBasics(ctx: PipelineContext) {
  return {
    accountId: ctx.accountId,
    region: ctx.region,
    kmsKeyArn: ctx.kmsKeyArn,
    logRetentionDays: ctx.env.aws.logRetentionDays,
    alarmTopicArn: ctx.alarmTopicArn,
    metricsNamespace: metricsNamespace(ctx.env.name),
  };
}
