import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/types";
import { deriveNames } from "../config/validate";
import { IdempotencyTable } from "../constructs/data/idempotency-table";
import { GenesysEventBus } from "../constructs/ingress/genesys-event-bus";
import { NatEgress } from "../constructs/network/nat-egress";
import { AlarmTopic } from "../constructs/observability/alarm-topic";
import { ConfigSyncPipeline } from "../constructs/pipelines/config-sync";
import { InteractionProcessingPipeline } from "../constructs/pipelines/interaction-processing";
import { TranscriptVaultPipeline } from "../constructs/pipelines/transcript-vault";
import type { PipelineContext } from "../constructs/pipelines/pipeline-context";
import { WebhookReceiver } from "../constructs/pipelines/webhook-receiver";
import { EncryptionKey } from "../constructs/security/encryption-key";
import { ExternallySetSecret } from "../constructs/security/externally-set-secret";
import { partitionOf } from "../lib/iam";
import { configureBackend } from "./backends";

export interface AwsStackProps {
  readonly env: EnvironmentConfig;
}

/** `<env>-aws`: the Genesys ingress, the pipelines and the NAT egress that Azure trusts. */
export class AwsStack extends TerraformStack {
  public readonly env: EnvironmentConfig;
  public readonly key: EncryptionKey;
  public readonly network: NatEgress;
  public readonly eventBus: GenesysEventBus;
  public readonly idempotencyTable: IdempotencyTable;
  public readonly genesysSecret: ExternallySetSecret;
  public readonly vaultSecret: ExternallySetSecret;
  public readonly vaultListerSecret: ExternallySetSecret;
  public readonly alarmTopic: AlarmTopic;
  public readonly transcriptVault: TranscriptVaultPipeline;
  public readonly interaction: InteractionProcessingPipeline;
  /** Deployed when the environment has sync rules. */
  public readonly configSync?: ConfigSyncPipeline;
  /** Deployed when the environment has webhook actions. */
  public readonly webhook?: WebhookReceiver;

  constructor(scope: Construct, id: string, props: AwsStackProps) {
    super(scope, id);
    const env = (this.env = props.env);
    const names = deriveNames(env);
    const p = names.awsPrefix;
    const { accountId, region } = env.aws;
    const partition = partitionOf(region);
    configureBackend(this, env, "aws");

    new AwsProvider(this, "aws", {
      region,
      allowedAccountIds: [accountId],
      defaultTags: [{ tags: { ...env.tags } }],
    });

    this.key = new EncryptionKey(this, "key", { alias: p, accountId, region, partition });
    const kmsKeyArn = this.key.arn;

    const suffixes = env.aws.azSuffixes ?? ["a", "b", "c", "d", "e", "f"].slice(0, env.aws.azCount);
    this.network = new NatEgress(this, "network", {
      namePrefix: p,
      region,
      accountId,
      vpcCidr: env.aws.vpcCidr,
      availabilityZones: suffixes.map((s) => `${region}${s}`),
      natGateways: env.aws.natGateways,
      interfaceEndpoints: env.aws.interfaceEndpoints,
      kmsKeyArn,
      logRetentionDays: env.aws.logRetentionDays,
    });

    this.eventBus = new GenesysEventBus(this, "genesys-bus", {
      partnerEventSourceName: names.partnerEventSourceName,
      archiveName: `${p}-genesys-events`,
      archiveRetentionDays: env.aws.archiveRetentionDays,
      kmsKeyArn,
    });

    this.idempotencyTable = new IdempotencyTable(this, "idempotency", {
      tableName: `${p}-idempotency`,
      kmsKeyArn,
      deletionProtection: env.aws.deletionProtection,
    });

    this.genesysSecret = new ExternallySetSecret(this, "genesys-client-secret", {
      name: `${p}/genesys-client`,
      description: "Genesys Cloud OAuth client credentials as JSON {clientId, clientSecret}; set outside Terraform",
      kmsKeyArn,
      recoveryWindowInDays: env.aws.secretRecoveryWindowDays,
    });
    this.vaultSecret = new ExternallySetSecret(this, "vault-writer-secret", {
      name: `${p}/azure-vault-writer`,
      description: "Create/write-only SAS for the Azure vault container; delivered and rotated by the Azure stack",
      kmsKeyArn,
      recoveryWindowInDays: env.aws.secretRecoveryWindowDays,
    });

    this.vaultListerSecret = new ExternallySetSecret(this, "vault-lister-secret", {
      name: `${p}/azure-vault-lister`,
      description: "List-only SAS for the Azure vault container (proves existence, cannot read or change content); delivered and rotated by the Azure stack",
      kmsKeyArn,
      recoveryWindowInDays: env.aws.secretRecoveryWindowDays,
    });

    this.alarmTopic = new AlarmTopic(this, "alarms", {
      topicName: `${p}-alarms`,
      kmsKeyArn,
      accountId,
      email: env.aws.alarmEmail,
    });

    const ctx: PipelineContext = {
      env,
      prefix: p,
      accountId,
      region,
      partition,
      kmsKeyArn,
      alarmTopicArn: this.alarmTopic.arn,
      eventBusName: this.eventBus.name,
      genesysSecretArn: this.genesysSecret.arn,
      vpc: { subnetIds: this.network.privateSubnetIds, securityGroupIds: [this.network.lambdaSecurityGroup.id] },
      idempotencyTableArn: this.idempotencyTable.arn,
      idempotencyTableName: this.idempotencyTable.name,
    };
    this.transcriptVault = new TranscriptVaultPipeline(this, "transcript-vault", {
      ctx,
      config: env.pipelines.transcriptVault,
      vaultSecretArn: this.vaultSecret.arn,
      listerSecretArn: this.vaultListerSecret.arn,
    });
    this.interaction = new InteractionProcessingPipeline(this, "interaction", { ctx, config: env.pipelines.interaction });
    if (env.pipelines.configSync.rules.length > 0) {
      this.configSync = new ConfigSyncPipeline(this, "config-sync", { ctx, config: env.pipelines.configSync });
    }
    if (env.pipelines.webhook.actions.length > 0) {
      this.webhook = new WebhookReceiver(this, "webhook", { ctx, config: env.pipelines.webhook });
      new TerraformOutput(this, "webhook_url", { value: this.webhook.endpointUrl, description: "URL for the Genesys workflow data action" });
      new TerraformOutput(this, "webhook_secret_arn", { value: this.webhook.sharedSecret.arn });
    }

    new TerraformOutput(this, "nat_public_ips", {
      value: this.network.natEips.map((e) => e.publicIp),
      description: "Egress IPs of the pipeline Lambdas: the Azure vault's only allowed sources",
    });
    new TerraformOutput(this, "event_bus_name", { value: this.eventBus.name });
    new TerraformOutput(this, "event_bus_arn", { value: this.eventBus.arn });
    new TerraformOutput(this, "genesys_client_secret_arn", { value: this.genesysSecret.arn });
    new TerraformOutput(this, "vault_writer_secret_arn", { value: this.vaultSecret.arn });
    new TerraformOutput(this, "vault_lister_secret_arn", { value: this.vaultListerSecret.arn });
  }
}
