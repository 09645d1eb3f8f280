import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../../config/types";
import { genesysClientSecretName, type GenesysClientPipeline } from "../genesys/pipeline-clients";
import type { PolicyStatement } from "../../lib/iam";
import { ExternallySetSecret } from "../security/externally-set-secret";
import { TOKEN_EXCHANGE_AUDIENCE } from "../vault/vault-writer-identity";
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
    planRoleArns: ctx.env.aws.planRoleArns,
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

/** Longest web identity token a vault client may request, in seconds (each is used once, at once). */
export const MAX_WEB_IDENTITY_TOKEN_SECONDS = 300;

/**
 * Lets the role mint AWS-signed JWTs for Entra ID only, valid at most 5 minutes.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_outbound_getting_started.html
 */
export function getWebIdentityTokenForAzure(): PolicyStatement {
  return {
    Sid: "GetWebIdentityTokenForAzureVault",
    Effect: "Allow",
    Action: "sts:GetWebIdentityToken",
    Resource: "*", // the action has no resource type; the conditions scope it
    Condition: {
      "ForAllValues:StringEquals": { "sts:IdentityTokenAudience": [TOKEN_EXCHANGE_AUDIENCE] },
      NumericLessThanEquals: { "sts:DurationSeconds": String(MAX_WEB_IDENTITY_TOKEN_SECONDS) },
      Null: { "sts:IdentityTokenAudience": "false" },
    },
  };
}

