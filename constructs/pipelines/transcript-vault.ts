import { Construct } from "constructs";
import type { TranscriptVaultPipelineConfig, VaultWriterAuth } from "../../config/types";
import type { PolicyStatement } from "../../lib/iam";
import { bundleFunction } from "../../lib/bundling";
import { PipelineFunction } from "../compute/pipeline-function";
import type { BufferedQueue } from "../messaging/buffered-queue";
import type { EventRoute } from "../messaging/event-route";
import { GenesysTopicBuffer } from "../messaging/genesys-topic-buffer";
import type { ExternallySetSecret } from "../security/externally-set-secret";
import { TOKEN_EXCHANGE_AUDIENCE } from "../vault/vault-writer-identity";
import { functionBasics, genesysClientSecret, genesysEnvironment, readSecret, type PipelineContext } from "./pipeline-context";

export interface TranscriptVaultPipelineProps {
  readonly ctx: PipelineContext;
  readonly config: TranscriptVaultPipelineConfig;
  /** ARN of the secret holding the vault coordinates (and, in `sas` mode, the SAS), delivered by the Azure stack. */
  readonly vaultSecretArn: string;
  /** How the archiver authenticates to the vault. */
  readonly writerAuth: VaultWriterAuth;
}

/** Longest web identity token the archiver may request, in seconds (it uses each once, at once). */
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

/**
 * Transcript and conversation-end events -> queue -> archiver Lambda in the
 * private subnets (its egress is the NAT EIPs Azure admits) -> the Azure vault.
 */
export class TranscriptVaultPipeline extends Construct {
  public readonly route: EventRoute;
  public readonly buffer: BufferedQueue;
  public readonly archiver: PipelineFunction;
  /** This pipeline's Genesys OAuth client (`gcv-<env>/genesys-transcript-vault`). */
  public readonly genesysSecret: ExternallySetSecret;

  constructor(scope: Construct, id: string, props: TranscriptVaultPipelineProps) {
    super(scope, id);
    const { ctx, config } = props;
    const name = `${ctx.prefix}-transcript-vault`;

    const intake = new GenesysTopicBuffer(this, "intake", {
      name,
      description: "Genesys transcript and conversation-end events to the vault archiver",
      eventBusName: ctx.eventBusName,
      topics: config.topics,
      consumer: config,
      kmsKeyArn: ctx.kmsKeyArn,
      alarmTopicArn: ctx.alarmTopicArn,
    });
    this.route = intake.route;
    this.buffer = intake.buffer;

    this.genesysSecret = genesysClientSecret(this, ctx, "transcript-vault");
    this.archiver = new PipelineFunction(this, "archiver", {
      functionName: `${ctx.prefix}-transcript-archiver`,
      description: "Archives Genesys events, messaging transcripts and attachments into the Azure vault (create-only)",
      packageZip: bundleFunction("transcript-archiver").packageZip,
      ...functionBasics(ctx),
      timeoutSeconds: config.timeoutSeconds,
      memoryMb: config.memoryMb,
      environment: {
        ...genesysEnvironment(ctx, this.genesysSecret.arn),
        AZURE_VAULT_SECRET_ARN: props.vaultSecretArn,
        AZURE_VAULT_AUTH: props.writerAuth,
        MAX_EVENT_BYTES: String(config.maxEventBytes),
      },
      statements: [
        readSecret(this.genesysSecret.arn, "ReadOwnGenesysClientSecret"),
        readSecret(props.vaultSecretArn, "ReadVaultWriterSecret"),
        ...(props.writerAuth === "federated" ? [getWebIdentityTokenForAzure()] : []),
      ],
      vpc: ctx.vpc,
    });
    this.archiver.consume(this.buffer, config, ctx.kmsKeyArn);
  }
}
