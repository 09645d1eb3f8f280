import { Construct } from "constructs";
import type { TranscriptVaultPipelineConfig, VaultWriterAuth } from "../../config/types";
import { bundleFunction } from "../../lib/bundling";
import { PipelineFunction } from "../compute/pipeline-function";
import type { BufferedQueue } from "../messaging/buffered-queue";
import type { EventRoute } from "../messaging/event-route";
import { GenesysTopicBuffer } from "../messaging/genesys-topic-buffer";
import type { ExternallySetSecret } from "../security/externally-set-secret";
import { functionBasics, genesysClientSecret, genesysEnvironment, getWebIdentityTokenForAzure, readSecret, type PipelineContext } from "./pipeline-context";
import { VaultReconciler } from "./vault-reconciler";

export interface TranscriptVaultPipelineProps {
  readonly ctx: PipelineContext;
  readonly config: TranscriptVaultPipelineConfig;
  /** ARN of the secret holding the vault coordinates (and, in `sas` mode, the SAS), delivered by the Azure stack. */
  readonly vaultSecretArn: string;
  /**
   * ARN of the secret holding the list-only credential (delivered by the Azure stack): the
   * List-only SAS in `sas` mode, the reconciler identity's coordinates in `federated` mode.
   * Required in `sas` mode and when the reconciler is on.
   */
  readonly listerSecretArn?: string;
  /** How the archiver authenticates to the vault. */
  readonly writerAuth: VaultWriterAuth;
}

/**
 * Transcript and conversation-end events -> queue -> archiver Lambda in the
 * private subnets (its egress is the NAT EIPs Azure admits) -> the Azure vault.
 */
export class TranscriptVaultPipeline extends Construct {
  public readonly route: EventRoute;
  public readonly buffer: BufferedQueue;
  public readonly archiver: PipelineFunction;
  /** Deployed unless `reconciler.enabled` is false. */
  public readonly reconciler?: VaultReconciler;
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
    // Federated: the archiver lists with its own identity (a second, list-only role assignment);
    // sas: with the list-only SAS it shares with the reconciler.
    const listerSecretArn = props.writerAuth === "federated" ? props.vaultSecretArn : listerSecretOf(props, "in sas mode the archiver lists with the List-only SAS");
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
        AZURE_VAULT_LISTER_SECRET_ARN: listerSecretArn,
        AZURE_VAULT_AUTH: props.writerAuth,
        MAX_EVENT_BYTES: String(config.maxEventBytes),
        TIME_GUARD_MS: String(config.timeGuardSeconds * 1000),
      },
      statements: [
        readSecret(this.genesysSecret.arn, "ReadOwnGenesysClientSecret"),
        readSecret(props.vaultSecretArn, "ReadVaultWriterSecret"),
        ...(listerSecretArn !== props.vaultSecretArn ? [readSecret(listerSecretArn, "ReadVaultListerSecret")] : []),
        ...(props.writerAuth === "federated" ? [getWebIdentityTokenForAzure()] : []),
      ],
      vpc: ctx.vpc,
    });
    this.archiver.consume(this.buffer, config, ctx.kmsKeyArn);

    if (config.reconciler.enabled) {
      this.reconciler = new VaultReconciler(this, "reconciler", {
        ctx,
        config: config.reconciler,
        archiverQueue: this.buffer,
        listerSecretArn: listerSecretOf(props, "the vault reconciler lists with the list-only credential"),
        writerAuth: props.writerAuth,
        genesysSecretArn: this.genesysSecret.arn,
      });
    }
  }
}

function listerSecretOf(props: TranscriptVaultPipelineProps, why: string): string {
  if (!props.listerSecretArn) throw new Error(`TranscriptVaultPipeline: listerSecretArn is required: ${why}`);
  return props.listerSecretArn;
}
