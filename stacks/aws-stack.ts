import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { OPERATIONS_DEFAULTS } from "../config/defaults";
import type { EnvironmentConfig } from "../config/types";
import { deriveNames } from "../config/validate";
import { IdempotencyTable } from "../constructs/data/idempotency-table";
import { GenesysEventBus } from "../constructs/ingress/genesys-event-bus";
import { NatEgress } from "../constructs/network/nat-egress";
import { AlarmTopic } from "../constructs/observability/alarm-topic";
import { GenesysSilenceAlarm } from "../constructs/observability/genesys-silence-alarm";
import { OperationsDashboard } from "../constructs/observability/operations-dashboard";
import type { OpsInventory } from "../constructs/observability/ops-inventory";
import { VaultCredentialExpiryMonitor } from "../constructs/observability/vault-credential-expiry";
import { ConfigSyncPipeline } from "../constructs/pipelines/config-sync";
import { InteractionProcessingPipeline } from "../constructs/pipelines/interaction-processing";
import { TranscriptVaultPipeline } from "../constructs/pipelines/transcript-vault";
import type { PipelineContext } from "../constructs/pipelines/pipeline-context";
import { WebhookReceiver } from "../constructs/pipelines/webhook-receiver";
import { EncryptionKey } from "../constructs/security/encryption-key";
import { ExternallySetSecret } from "../constructs/security/externally-set-secret";
import { partitionOf } from "../lib/iam";
import { configureBackend } from "./backends";
import { opsInventoryOf } from "./ops-inventory";

export interface AwsStackProps {
  readonly env: EnvironmentConfig;
}

/** `<env>-aws`: the Genesys ingress, the pipelines and the NAT egress that Azure trusts. */
export class AwsStack extends TerraformStack {
  public readonly env: EnvironmentConfig;
  public readonly partition: string;
  public readonly key: EncryptionKey;
  public readonly network: NatEgress;
  public readonly eventBus: GenesysEventBus;
  public readonly idempotencyTable: IdempotencyTable;
  public readonly vaultSecret: ExternallySetSecret;
  /**
   * The list-only credential's secret: in sas mode the List-only SAS (archiver and reconciler);
   * federated, the reconciler identity's coordinates, so only when the reconciler is on (the
   * archiver lists with its own identity).
   */
  public readonly vaultListerSecret?: ExternallySetSecret;
  public readonly alarmTopic: AlarmTopic;
  public readonly transcriptVault: TranscriptVaultPipeline;
  public readonly interaction: InteractionProcessingPipeline;
  /** Deployed when the environment has sync rules. */
  public readonly configSync?: ConfigSyncPipeline;
  /** Deployed when the environment has webhook actions. */
  public readonly webhook?: WebhookReceiver;
  /** Deployed while the vault writer credential is a SAS (it expires). */
  public readonly credentialExpiry?: VaultCredentialExpiryMonitor;
  /** Alarms when Genesys stops sending; not deployed when genesys.maxSilenceMinutes is 0. */
  public readonly genesysSilence?: GenesysSilenceAlarm;
  public readonly dashboard: OperationsDashboard;
  /** Names the ops CLI and the runbook use (also the output `ops_inventory`). */
  public readonly inventory: OpsInventory;

  constructor(scope: Construct, id: string, props: AwsStackProps) {
    super(scope, id);
    const env = (this.env = props.env);
    const names = deriveNames(env);
    const p = names.awsPrefix;
    const { accountId, region } = env.aws;
    const partition = (this.partition = partitionOf(region));
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

    this.vaultSecret = new ExternallySetSecret(this, "vault-writer-secret", {
      name: `${p}/azure-vault-writer`,
      description:
        names.vaultWriterAuth === "federated"
          ? "Coordinates of the Azure vault (endpoint, container, tenant id, client id; no credential); delivered by the Azure stack"
          : "Create/write-only SAS for the Azure vault container; delivered and rotated by the Azure stack",
      kmsKeyArn,
      recoveryWindowInDays: env.aws.secretRecoveryWindowDays,
      deployerRoleArns: env.aws.deployerRoleArns,
      planRoleArns: env.aws.planRoleArns,
      // `<env>-azure` writes it through aws_secretsmanager_secret_version, which the provider
      // refreshes with GetSecretValue: coordinates (no credential) in federated mode; in sas
      // mode the SAS, which that plan can sign itself anyway (docs/security.md).
      planReadsValue: true,
    });

    if (names.vaultWriterAuth === "sas" || env.pipelines.transcriptVault.reconciler.enabled) {
      this.vaultListerSecret = new ExternallySetSecret(this, "vault-lister-secret", {
        name: `${p}/azure-vault-lister`,
        description:
          names.vaultWriterAuth === "federated"
            ? "Coordinates of the reconciler's list-only Azure identity (endpoint, container, tenant id, client id; no credential); delivered by the Azure stack"
            : "List-only SAS for the Azure vault container (proves existence, cannot read or change content); delivered and rotated by the Azure stack",
        kmsKeyArn,
        recoveryWindowInDays: env.aws.secretRecoveryWindowDays,
        deployerRoleArns: env.aws.deployerRoleArns,
        planRoleArns: env.aws.planRoleArns,
        // Written by `<env>-azure` like the writer's secret above.
        planReadsValue: true,
      });
    }

    this.alarmTopic = new AlarmTopic(this, "alarms", {
      topicName: `${p}-alarms`,
      kmsKeyArn,
      accountId,
      email: env.aws.alarmEmail,
      httpsEndpoint: env.aws.alarmHttpsEndpoint,
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
      vpc: { subnetIds: this.network.privateSubnetIds, securityGroupIds: [this.network.lambdaSecurityGroup.id] },
      idempotencyTableArn: this.idempotencyTable.arn,
      idempotencyTableName: this.idempotencyTable.name,
    };
    this.transcriptVault = new TranscriptVaultPipeline(this, "transcript-vault", {
      ctx,
      config: env.pipelines.transcriptVault,
      vaultSecretArn: this.vaultSecret.arn,
      listerSecretArn: this.vaultListerSecret?.arn,
      writerAuth: names.vaultWriterAuth,
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

    // A SAS writer expires: its expiry is watched. A federated writer has no expiring
    // credential and needs no monitor.
    if (names.vaultWriterAuth === "sas") {
      this.credentialExpiry = new VaultCredentialExpiryMonitor(this, "vault-credential-expiry", {
        ctx,
        vaultSecretArn: this.vaultSecret.arn,
        warningDays: env.azure.sasExpiryWarningDays ?? OPERATIONS_DEFAULTS.sasExpiryWarningDays,
      });
    }
    const maxSilenceMinutes = env.genesys.maxSilenceMinutes ?? OPERATIONS_DEFAULTS.maxSilenceMinutes;
    if (maxSilenceMinutes > 0) {
      this.genesysSilence = new GenesysSilenceAlarm(this, "genesys-silence", {
        alarmName: `${p}-genesys-silent`,
        eventBusName: this.eventBus.name,
        ruleNames: [this.transcriptVault.route.rule.name, this.interaction.route.rule.name],
        maxSilenceMinutes,
        alarmTopicArn: this.alarmTopic.arn,
      });
    }

    this.inventory = opsInventoryOf(this);
    this.dashboard = new OperationsDashboard(this, "dashboard", { dashboardName: `${p}-operations`, inventory: this.inventory });
    new TerraformOutput(this, "ops_inventory", {
      value: this.inventory,
      description: "Names of queues, DLQs, rules, archive, workflow, functions and the alarm topic, for `npm run ops` and `npm run verify`",
    });

    new TerraformOutput(this, "nat_public_ips", {
      value: this.network.natEips.map((e) => e.publicIp),
      description: "Egress IPs of the pipeline Lambdas: the Azure vault's only allowed sources",
    });
    new TerraformOutput(this, "event_bus_name", { value: this.eventBus.name });
    new TerraformOutput(this, "event_bus_arn", { value: this.eventBus.arn });
    // One Genesys OAuth client per pipeline, each in its own secret.
    const genesysSecrets = { transcript_vault: this.transcriptVault.genesysSecret, interaction: this.interaction.genesysSecret, config_sync: this.configSync?.genesysSecret };
    for (const [pipeline, secret] of Object.entries(genesysSecrets)) {
      if (secret) new TerraformOutput(this, `genesys_${pipeline}_secret_arn`, { value: secret.arn });
    }
    new TerraformOutput(this, "vault_writer_secret_arn", { value: this.vaultSecret.arn });
    if (this.vaultListerSecret) new TerraformOutput(this, "vault_lister_secret_arn", { value: this.vaultListerSecret.arn });
    new TerraformOutput(this, "archiver_role_arn", {
      value: this.transcriptVault.archiver.role.arn,
      description: "Subject of the archiver's web identity tokens: the vault's Entra application trusts exactly this role",
    });
    if (this.transcriptVault.reconciler) {
      new TerraformOutput(this, "reconciler_role_arn", {
        value: this.transcriptVault.reconciler.fn.role.arn,
        description: "Subject of the reconciler's web identity tokens: its list-only Entra application trusts exactly this role",
      });
    }
  }
}
