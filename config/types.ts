/**
 * The typed environment configuration. One `EnvironmentConfig` per deployable
 * environment; `config/environments.ts` holds the shipped sample values and
 * `config/load.ts` applies overrides and validates everything once, at the edge.
 */

/** Genesys Cloud region domains (login.<domain> / api.<domain>). */
export const GENESYS_REGION_DOMAINS = [
  "mypurecloud.com",
  "mypurecloud.ie",
  "mypurecloud.com.au",
  "mypurecloud.jp",
  "mypurecloud.de",
  "usw2.pure.cloud",
  "cac1.pure.cloud",
  "apne2.pure.cloud",
  "euw2.pure.cloud",
  "aps1.pure.cloud",
  "use2.us-gov-pure.cloud",
  "sae1.pure.cloud",
  "mec1.pure.cloud",
  "apne3.pure.cloud",
  "euc2.pure.cloud",
  "mxc1.pure.cloud",
  "apse1.pure.cloud",
] as const;
export type GenesysRegionDomain = (typeof GENESYS_REGION_DOMAINS)[number];

/** Azure storage replication types accepted by `azurerm_storage_account`. */
export const AZURE_REPLICATION_TYPES = ["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"] as const;
export type AzureReplicationType = (typeof AZURE_REPLICATION_TYPES)[number];

/** Where a stack keeps its Terraform state. */
export interface S3BackendConfig {
  /** State bucket (must exist, versioned and encrypted). */
  readonly bucket: string;
  /** Bucket region. @default the environment's AWS region */
  readonly region?: string;
  /** State object key. @default `<env>/aws.tfstate` */
  readonly key?: string;
  /** KMS key for the state object. @default bucket default encryption */
  readonly kmsKeyId?: string;
}

export interface AzurermBackendConfig {
  readonly resourceGroupName: string;
  readonly storageAccountName: string;
  readonly containerName: string;
  /** State blob name. @default `<env>/azure.tfstate` */
  readonly key?: string;
}

export interface AwsConfig {
  /** 12-digit account the stack deploys into; the provider refuses any other. */
  readonly accountId: string;
  /** AWS region, e.g. `eu-west-1`. */
  readonly region: string;
  /** Availability zones used (1-6). Subnets and, with `natGateways`, NATs are spread over them. */
  readonly azCount: number;
  /** AZ name suffixes. @default the first `azCount` of a, b, c, d, e, f */
  readonly azSuffixes?: readonly string[];
  /** Private (RFC 1918) VPC CIDR, /16 to /24. Split into equal public and private subnets per AZ. */
  readonly vpcCidr: string;
  /** NAT gateways, each with its own Elastic IP (1 to azCount). Their IPs are the Azure allowlist. */
  readonly natGateways: number;
  /** Interface VPC endpoints to create for the private subnets. @default none */
  readonly interfaceEndpoints?: readonly InterfaceEndpointService[];
  /** CloudWatch log retention for every log group, in days. */
  readonly logRetentionDays: number;
  /** EventBridge archive retention in days (0 = indefinitely). */
  readonly archiveRetentionDays: number;
  /** Optional e-mail subscribed to the alarm topic. @default no subscription */
  readonly alarmEmail?: string;
  /** Days Secrets Manager waits before deleting a secret (7-30). */
  readonly secretRecoveryWindowDays: number;
  /** Protect the DynamoDB tables from deletion. */
  readonly deletionProtection: boolean;
}

export const INTERFACE_ENDPOINT_SERVICES = ["secretsmanager", "states", "sqs", "logs", "sts", "kms"] as const;
export type InterfaceEndpointService = (typeof INTERFACE_ENDPOINT_SERVICES)[number];

export interface GenesysConfig {
  /** Genesys Cloud organization id (a UUID). */
  readonly orgId: string;
  /** Region domain of the org, e.g. `mypurecloud.ie`. */
  readonly regionDomain: GenesysRegionDomain;
  /** `eventSourceSuffix` of the Amazon EventBridge Source integration. */
  readonly eventSourceSuffix: string;
}

export interface AzureConfig {
  /** Subscription to deploy into. @default ARM_SUBSCRIPTION_ID from the environment */
  readonly subscriptionId?: string;
  /** Azure region, e.g. `westeurope`. */
  readonly location: string;
  readonly resourceGroupName: string;
  /** Globally unique: 3-24 lowercase letters and digits. */
  readonly storageAccountName: string;
  readonly replicationType: AzureReplicationType;
  /** The vault container (3-63 chars: lowercase letters, digits, single hyphens). */
  readonly containerName: string;
  /** Blob and container soft-delete retention, in days (1-365). */
  readonly softDeleteRetentionDays: number;
  /** Time-based immutability (WORM) period of the vault container, in days (1-146000). */
  readonly immutabilityDays: number;
  /** Lock the immutability policy. Irreversible in Azure: only shorten-proof once locked. */
  readonly immutabilityLocked: boolean;
  /** Move blobs to the cool tier this many days after creation. */
  readonly coolAfterDays: number;
  /** Move blobs to the archive tier this many days after creation (> coolAfterDays). */
  readonly archiveAfterDays: number;
  /** Validity of the AWS writer's SAS token in days (> sasRotationDays). */
  readonly sasValidityDays: number;
  /** A re-apply after this many days issues a fresh SAS token. */
  readonly sasRotationDays: number;
}

export interface BackendsConfig {
  /** S3 state for `<env>-aws`. @default local state */
  readonly aws?: S3BackendConfig;
  /** azurerm state for `<env>-azure`. @default local state */
  readonly azure?: AzurermBackendConfig;
}

export interface EnvironmentConfig {
  /** Environment name: lowercase letters and digits, used in every resource name. */
  readonly name: string;
  readonly aws: AwsConfig;
  readonly genesys: GenesysConfig;
  readonly azure: AzureConfig;
  /** Tags applied to every taggable resource on both clouds. */
  readonly tags: Readonly<Record<string, string>>;
  readonly backends?: BackendsConfig;
  /** Per-pipeline tunables; see config/defaults.ts for what is used when left out. */
  readonly pipelines: PipelinesConfig;
}

/** What a user writes: like EnvironmentConfig, with every pipeline setting optional. */
export type EnvironmentInput = Omit<EnvironmentConfig, "pipelines"> & { readonly pipelines?: DeepPartial<PipelinesConfig> };

import type { SyncRule } from "../functions/shared/sync-rules";
import type { WebhookAction } from "../functions/shared/webhook-actions";

/** Everything derived from config that several stacks need, computed once. */
export interface DerivedNames {
  /** `aws.partner/genesys.com/cloud/<orgId>/<suffix>`: the bus name and its event source. */
  readonly partnerEventSourceName: string;
  /** `https://<account>.blob.core.windows.net` */
  readonly vaultBlobEndpoint: string;
  /** Prefix for AWS resource names, e.g. `gcv-dev`. */
  readonly awsPrefix: string;
}

/** Type helper for the sample file: a deep partial override per environment. */
export type DeepPartial<T> = { -readonly [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** How an SQS queue feeds its consumer Lambda. */
export interface QueueConsumerConfig {
  /** Records per invocation (1-10000; 1-10 for FIFO queues). */
  readonly batchSize: number;
  /** Seconds to wait for a fuller batch (0-300). */
  readonly batchWindowSeconds: number;
  /** The most concurrent invocations this queue may drive (2-1000): the shock absorber. */
  readonly maxConcurrency: number;
  /** Deliveries before a message moves to the dead-letter queue (1-1000). */
  readonly maxReceiveCount: number;
  /** Consumer Lambda timeout in seconds; the queue's visibility timeout is 6x this. */
  readonly timeoutSeconds: number;
  /** Consumer Lambda memory in MB (128-10240). */
  readonly memoryMb: number;
}

export interface TranscriptVaultPipelineConfig extends QueueConsumerConfig {
  /** Genesys topics (EventBridge `detail-type`s, with `{id}` placeholders) archived to the vault. */
  readonly topics: readonly string[];
  /** Larger message bodies are quarantined, not archived (bytes). */
  readonly maxEventBytes: number;
}

export interface InteractionPipelineConfig extends QueueConsumerConfig {
  /** Conversation lifecycle topics processed by the workflow. */
  readonly topics: readonly string[];
  /** Processor Lambda timeout in seconds. */
  readonly processorTimeoutSeconds: number;
  /** Prefix of the participant attributes the processor writes, e.g. `aws_` -> `aws_processedAt`. */
  readonly attributePrefix: string;
  /**
   * Reserved concurrency of the processor: the real limit on Genesys request rate
   * (one PATCH per event; about 5 requests/s per OAuth client). Excess invocations
   * are throttled and retried by the workflow at no Lambda cost.
   */
  readonly processorConcurrency: number;
  /**
   * Most workflow executions running at once (the dispatcher's DynamoDB semaphore): the rest
   * of a burst waits in the queue. At most `processorConcurrency` (each execution runs one
   * processor invocation at a time, so the processor is never throttled).
   */
  readonly maxRunningExecutions: number;
  /**
   * How long an event may wait, in seconds: for a slot in the queue, and again for throttles
   * (Lambda, Genesys 429) in its execution. Older events go to the DLQ / failure queue.
   */
  readonly maxEventAgeSeconds: number;
  /** Genesys requests per minute the OAuth client may make (the drain rate the dispatcher plans with). */
  readonly genesysRequestsPerMinute: number;
}

export interface ConfigSyncPipelineConfig extends QueueConsumerConfig {
  /** Declarative AWS capacity -> Genesys rules (see README, "Sync rules"). None: the pipeline is not deployed. */
  readonly rules: readonly SyncRule[];
  /** Minutes between reconciliation runs that repair drift (1-1440). */
  readonly reconcileEveryMinutes: number;
  /** Compute and log changes, write nothing to Genesys or the audit table. */
  readonly dryRun: boolean;
}

export interface WebhookPipelineConfig {
  /** Declarative actions a webhook call may trigger. None: the receiver is not deployed. */
  readonly actions: readonly WebhookAction[];
  /** Steady-state requests per second the API accepts. */
  readonly throttleRateLimit: number;
  /** Burst of requests the API accepts. */
  readonly throttleBurstLimit: number;
  /** Larger bodies are refused with 413 (bytes). */
  readonly maxBodyBytes: number;
  /** Header that carries the shared secret. */
  readonly secretHeaderName: string;
  /** Events timestamped further than this in the future are refused with 400. */
  readonly maxClockSkewSeconds: number;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface PipelinesConfig {
  readonly transcriptVault: TranscriptVaultPipelineConfig;
  readonly interaction: InteractionPipelineConfig;
  readonly configSync: ConfigSyncPipelineConfig;
  readonly webhook: WebhookPipelineConfig;
}
