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

/**
 * The genesyscloud provider's `aws_region` for each region domain: the inverse of its region
 * map (`getRegionMap()` at the pinned tag, recorded in constructs/genesys/genesyscloud-schema.json;
 * a test keeps the two equal). A domain missing here cannot be managed with that provider
 * version; validation says so.
 */
export const GENESYS_PROVIDER_REGIONS: Partial<Record<GenesysRegionDomain, string>> = {
  "mypurecloud.com": "us-east-1",
  "mypurecloud.ie": "eu-west-1",
  "mypurecloud.com.au": "ap-southeast-2",
  "mypurecloud.jp": "ap-northeast-1",
  "mypurecloud.de": "eu-central-1",
  "usw2.pure.cloud": "us-west-2",
  "cac1.pure.cloud": "ca-central-1",
  "apne2.pure.cloud": "ap-northeast-2",
  "euw2.pure.cloud": "eu-west-2",
  "aps1.pure.cloud": "ap-south-1",
  "use2.us-gov-pure.cloud": "us-east-2",
  "sae1.pure.cloud": "sa-east-1",
  "mec1.pure.cloud": "me-central-1",
  "apne3.pure.cloud": "ap-northeast-3",
  "euc2.pure.cloud": "eu-central-2",
  "mxc1.pure.cloud": "mx-central-1",
  "apse1.pure.cloud": "ap-southeast-1",
};

/** Azure storage replication types accepted by `azurerm_storage_account`. */
export const AZURE_REPLICATION_TYPES = ["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"] as const;
export type AzureReplicationType = (typeof AZURE_REPLICATION_TYPES)[number];

/**
 * The only redundancies whose blobs may move to the archive tier: Azure does not support
 * archive on ZRS, GZRS or RA-GZRS accounts (cool and cold support every redundancy).
 * https://learn.microsoft.com/azure/storage/blobs/access-tiers-overview#archive-access-tier
 */
export const ARCHIVE_TIER_REPLICATION_TYPES = ["LRS", "GRS", "RAGRS"] as const satisfies readonly AzureReplicationType[];

/** How the archiver authenticates to the vault (docs/security.md compares them). */
export const VAULT_WRITER_AUTH_MODES = ["federated", "sas"] as const;
export type VaultWriterAuth = (typeof VAULT_WRITER_AUTH_MODES)[number];

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
  /** E-mail subscribed to the alarm topic (SNS asks the address to confirm). @default no e-mail subscription */
  readonly alarmEmail?: string;
  /**
   * HTTPS endpoint subscribed to the alarm topic (an incident tool's SNS integration URL).
   * The URL is kept in SNS and in Terraform state. @default no HTTPS subscription
   */
  readonly alarmHttpsEndpoint?: string;
  /**
   * Accept that alarms reach no one: needed when neither alarmEmail nor alarmHttpsEndpoint
   * is set. Refused for production environments (`production`). @default false
   */
  readonly alarmSubscriptionOptOut?: boolean;
  /** Days Secrets Manager waits before deleting a secret (7-30). */
  readonly secretRecoveryWindowDays: number;
  /**
   * IAM roles that deploy the stacks and put secret values (CI deploy role, break-glass admin).
   * Each secret's resource policy denies every principal but these and the secret's readers.
   */
  readonly deployerRoleArns: readonly string[];
  /**
   * IAM roles that plan the stacks (the CI plan role of docs/plan-role-policy.json). Each
   * secret's resource policy lets them read the secret's metadata (`DescribeSecret`,
   * `GetResourcePolicy`: what a refresh calls) and never its value, except the vault
   * coordinates secrets in federated mode, whose value holds no credential.
   */
  readonly planRoleArns: readonly string[];
  /** Protect the DynamoDB tables from deletion. */
  readonly deletionProtection: boolean;
  /**
   * Issuer URL of the account's IAM outbound identity federation (https, as returned by
   * `aws iam enable-outbound-web-identity-federation`). Required when `azure.writerAuth`
   * is `federated`: the vault's Entra application trusts tokens from exactly this issuer.
   */
  readonly outboundIdentityIssuer?: string;
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
  /**
   * Alarm when the Genesys bus matches no event for this many minutes (5-1440, a multiple
   * of 5); 0 turns the alarm off (a quiet dev org). @default 60
   */
  readonly maxSilenceMinutes?: number;
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
  /**
   * Move blobs to the cold tier this many days after creation (> coolAfterDays). Cold is
   * online and supported by every redundancy: the cheapest tier for ZRS, GZRS and RAGZRS.
   * @default no cold tier
   */
  readonly coldAfterDays?: number;
  /**
   * Move blobs to the archive tier this many days after creation (> coolAfterDays and
   * coldAfterDays). Only for LRS, GRS and RAGRS accounts (`ARCHIVE_TIER_REPLICATION_TYPES`);
   * refused for the others. @default no archive tier
   */
  readonly archiveAfterDays?: number;
  /**
   * `federated`: the archiver's IAM role gets an Entra ID token through outbound identity
   * federation; no key or SAS exists anywhere (needs `aws.outboundIdentityIssuer`).
   * `sas`: fallback for accounts that cannot enable outbound federation; a container SAS
   * signed with the account key, delivered through the AWS secret. @default "federated"
   */
  readonly writerAuth?: VaultWriterAuth;
  /**
   * Object ids of the users or service principals that own the vault's Entra applications
   * (writer, reconciler) in federated mode: the break-glass owners, never the identity that
   * applies. Entra accepts users and service principals as application owners, not groups.
   * Required in federated mode.
   */
  readonly applicationOwnerObjectIds?: readonly string[];
  /** Validity of the AWS writer's SAS token in days (> sasRotationDays). Required in `sas` mode; unused in `federated` mode. */
  readonly sasValidityDays?: number;
  /** A re-apply after this many days issues a fresh SAS token. Required in `sas` mode; unused in `federated` mode. */
  readonly sasRotationDays?: number;
  /**
   * Retention of the vault's audit trail (StorageRead/StorageWrite/StorageDelete logs of the
   * blob service) in the environment's Log Analytics workspace, in days (30-730).
   */
  readonly auditLogRetentionDays: number;
  /**
   * Alarm when the writer SAS expires within this many days (1 to sasValidityDays -
   * sasRotationDays - 1, so a token rotated on time never alarms). @default 7
   */
  readonly sasExpiryWarningDays?: number;
  /**
   * Who may read the vault for compliance (find, verify, export) and from where, and who
   * may place legal holds. Staging and prod without readers synthesize with a warning.
   * @default nobody: only the archiver writes and only the lister identities list
   */
  readonly compliance?: AzureComplianceConfig;
}

/** Auditor access to the vault: read-only, from listed networks; legal holds by a separate list. */
export interface AzureComplianceConfig {
  /**
   * Object ids (UUIDs) of the Entra groups whose members may read the vault container:
   * blobs, their index tags, Find Blobs by Tags, and the container's immutability and legal
   * hold state. No write, no delete.
   */
  readonly readerGroupObjectIds: readonly string[];
  /**
   * Public IPv4 addresses or CIDR ranges the readers reach the vault from; added to the
   * storage firewall next to the NAT IPs. A single address is written bare (`203.0.113.7`),
   * never as /31 or /32, and private (RFC 1918) ranges are refused: Azure rejects both.
   */
  readonly networks: readonly string[];
  /**
   * Object ids (UUIDs) of the Entra groups whose members may set and clear legal holds on
   * the vault container (through Azure Resource Manager, so no network entry is needed).
   * @default nobody
   */
  readonly legalHoldGroupObjectIds?: readonly string[];
}

/** A Process Automation trigger that starts the workflow calling the webhook data action. */
export interface WebhookTriggerConfig {
  /** Id of the Architect workflow (a UUID) the trigger starts; the workflow itself is not managed here. */
  readonly workflowId: string;
  /** Topic that fires the trigger, with `{id}` placeholders, e.g. `v2.detail.events.conversation.{id}.customer.end`. */
  readonly topicName: string;
  /**
   * Conditions on the event (all must hold), at least one: the provider
   * cannot create a trigger without `match_criteria` (it parses the empty
   * string as JSON). Each becomes an item of the trigger's `matchCriteria`.
   */
  readonly matchCriteria: readonly { readonly jsonPath: string; readonly operator: string; readonly value?: string; readonly values?: readonly string[] }[];
  /** Older events do not fire the trigger (>= 10); not with `delayBySeconds`. @default the provider's default */
  readonly eventTtlSeconds?: number;
  /** Start the workflow this long after a matching event (60-900); not with `eventTtlSeconds`. @default no delay */
  readonly delayBySeconds?: number;
  /** How the event reaches the workflow. @default Genesys' own (`TopLevelPrimitives` until Genesys enables the choice) */
  readonly dataFormat?: "Json" | "TopLevelPrimitives";
}

/** The Genesys side as code (`<env>-genesys` and `<env>-genesys-actions`); off: the manual setup in docs/pipelines.md. */
export interface GenesysStackConfig {
  /** Manage the EventBridge integration, per-pipeline roles and OAuth clients, and the webhook data action with Terraform. */
  readonly enabled: boolean;
  /**
   * Permissions (`domain:entity:action`) added to a pipeline's role beyond the
   * verified minimum, e.g. for the interaction processor's participant-attribute
   * update, whose permission the Genesys docs do not list. @default none
   */
  readonly additionalPermissions?: { readonly transcriptVault?: readonly string[]; readonly interaction?: readonly string[]; readonly configSync?: readonly string[] };
  /** Lifetime of the pipelines' access tokens in seconds (300-172800). @default 3600 (the functions fetch a new token on 401) */
  readonly accessTokenValiditySeconds: number;
  /** Process Automation trigger for the webhook workflow. @default none */
  readonly webhookTrigger?: WebhookTriggerConfig;
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
  /**
   * A production environment: its state must be remote (`backends`) and its alarms must reach
   * someone (no `aws.alarmSubscriptionOptOut`). Read it through `isProduction` (config/validate.ts),
   * never from the name. `false` is refused for names starting with prod or stag.
   * @default true for names starting with prod or stag (staging counts), false otherwise
   */
  readonly production?: boolean;
  /**
   * Declares a name that is not one of the samples as deliberately new, so a failing
   * validation does not ask whether a sample (`prod` for `prodeu`) was meant. @default false
   */
  readonly new?: boolean;
  readonly aws: AwsConfig;
  readonly genesys: GenesysConfig;
  readonly azure: AzureConfig;
  /** Tags applied to every taggable resource on both clouds. */
  readonly tags: Readonly<Record<string, string>>;
  readonly backends?: BackendsConfig;
  /** Per-pipeline tunables; see config/defaults.ts for what is used when left out. */
  readonly pipelines: PipelinesConfig;
  /** The Genesys side as code; disabled by default (manual setup). */
  readonly genesysStack: GenesysStackConfig;
}

/** What a user writes: like EnvironmentConfig, with every pipeline setting optional. */
export type EnvironmentInput = Omit<EnvironmentConfig, "pipelines" | "genesysStack"> & {
  readonly pipelines?: DeepPartial<PipelinesConfig>;
  readonly genesysStack?: Partial<GenesysStackConfig>;
};

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
  /** `azure.writerAuth` with its default applied. */
  readonly vaultWriterAuth: VaultWriterAuth;
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
  /** Start no new record or attachment with less than this many seconds of the invocation left. */
  readonly timeGuardSeconds: number;
  /** The scheduled completeness check of the vault (see docs/pipelines.md, "Reconciliation"). */
  readonly reconciler: VaultReconcilerConfig;
}

export interface VaultReconcilerConfig {
  /** Deploy the reconciler. */
  readonly enabled: boolean;
  /** EventBridge schedule expression, e.g. `cron(0 3 * * ? *)` (daily at 03:00 UTC). */
  readonly schedule: string;
  /** Conversations that ended in the last this-many hours are checked (1-168); 48 checks each one twice. */
  readonly windowHours: number;
  /** Leave out conversations that ended this recently, in minutes (0-1440): the archiver may still be on them. */
  readonly settleMinutes: number;
  /** Length of the analytics query intervals in the day before the window, in minutes (1-1440); the window itself is searched by UTC day. */
  readonly sliceMinutes: number;
  /**
   * The longest a messaging conversation may have lasted and still be found when it ends in the
   * window, in days (1-90): the details query finds only conversations that started on a day its
   * interval touches, so the search reaches this far back. Conversations open longer are counted
   * (`ConversationsOutlastingSearch`) and logged when they pass this age.
   */
  readonly maxConversationDays: number;
  /** The reconciler's share of the Genesys rate budget, in requests per minute (1-300). */
  readonly requestsPerMinute: number;
  /** Analytics page size (1-100). */
  readonly pageSize: number;
  /** Report what is missing without re-enqueueing it. */
  readonly dryRun: boolean;
  /** Lambda timeout in seconds (60-900). */
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
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
