/**
 * The one declaration of every configuration key: what the validator accepts
 * (an unknown key fails with "did you mean ...") and what the editors' JSON
 * Schema (`config/environments.schema.json`, from `npm run schema`) offers.
 *
 * `satisfies ObjectSpec<EnvironmentInput>` makes this declaration and the types
 * in `config/types.ts` agree at compile time: a field added to a type and not
 * here (or here and not in the type) fails `tsc`. Value rules (ranges, formats,
 * cross-field checks) stay in `config/validate.ts`, whose messages are better
 * than a schema library's; the types and enums here are what editors need.
 */
import { CONVERSATION_TOPICS } from "./genesys-topics";
import { closestMatch } from "../functions/shared/suggest";
import { AZURE_REPLICATION_TYPES, GENESYS_REGION_DOMAINS, INTERFACE_ENDPOINT_SERVICES, VAULT_WRITER_AUTH_MODES, type EnvironmentInput } from "./types";

interface Described {
  readonly description: string;
}
/** A scalar. */
export interface ValueSpec extends Described {
  readonly type: "string" | "integer" | "number" | "boolean";
  readonly enum?: readonly (string | number)[];
}
/** List elements whose keys and values another validator checks (sync rules, webhook actions). */
export interface CheckedElsewhereSpec extends Described {
  readonly type: "object";
  readonly checkedBy: string;
}
export interface ListSpec extends Described {
  readonly type: "array";
  readonly items: ValueSpec | CheckedElsewhereSpec;
}
/** Free-form names to string values (tags). */
export interface MapSpec extends Described {
  readonly type: "map";
}
export interface ObjectSpec<T = unknown> {
  readonly type: "object";
  readonly description?: string;
  readonly properties: PropertiesOf<T>;
}
export type FieldSpec = ValueSpec | ListSpec | MapSpec | ObjectSpec<any>;

type SpecOf<V> = [V] extends [readonly unknown[]]
  ? ListSpec
  : [V] extends [string | number | boolean]
    ? ValueSpec
    : string extends keyof V
      ? MapSpec
      : ObjectSpec<V>;
type PropertiesOf<T> = unknown extends T ? Record<string, FieldSpec> : { readonly [K in keyof T]-?: SpecOf<NonNullable<T[K]>> };

const str = (description: string, values?: readonly string[]): ValueSpec => ({ type: "string", description, ...(values ? { enum: values } : {}) });
const int = (description: string): ValueSpec => ({ type: "integer", description });
const bool = (description: string): ValueSpec => ({ type: "boolean", description });
const topics = (description: string): ListSpec => ({ type: "array", description, items: str("A Genesys conversation topic", CONVERSATION_TOPICS) });

const queueConsumer = {
  batchSize: int("Records per invocation (1-10000; 1-10 for FIFO queues)"),
  batchWindowSeconds: int("Seconds to wait for a fuller batch (0-300)"),
  maxConcurrency: int("Most concurrent invocations this queue may drive (2-1000)"),
  maxReceiveCount: int("Deliveries before a message moves to the dead-letter queue (1-1000)"),
  timeoutSeconds: int("Consumer Lambda timeout in seconds; the visibility timeout is 6x this"),
  memoryMb: int("Consumer Lambda memory in MB (128-10240)"),
} as const;

/** Every key of an environment, nested as in the config file. */
export const ENVIRONMENT_SPEC = {
  type: "object",
  properties: {
    name: str("Environment name: 2-12 lowercase letters and digits, starting with a letter"),
    production: bool("Production environment: remote state and alarms that reach someone are required (default: true for names starting with prod or stag, which cannot set false)"),
    new: bool("A deliberately new environment, not a misspelled sample name: no 'did you mean' hint"),
    aws: {
      type: "object",
      properties: {
        accountId: str("12-digit AWS account the stack deploys into"),
        region: str("AWS region, e.g. eu-west-1"),
        azCount: int("Availability zones used (1-6); adding zones keeps existing subnets"),
        azSuffixes: { type: "array", description: "AZ letters, default the first azCount of a-f", items: str("AZ letter", ["a", "b", "c", "d", "e", "f"]) },
        vpcCidr: str("Private (RFC 1918) VPC CIDR, /16 to /24"),
        natGateways: int("NAT gateways, each with its own Elastic IP (1 to azCount)"),
        interfaceEndpoints: { type: "array", description: "Interface VPC endpoints for the private subnets", items: str("Endpoint service", INTERFACE_ENDPOINT_SERVICES) },
        logRetentionDays: int("CloudWatch log retention in days (a CloudWatch value)"),
        archiveRetentionDays: int("EventBridge archive retention in days (0 = forever)"),
        alarmEmail: str("E-mail subscribed to the alarm topic"),
        alarmHttpsEndpoint: str("https:// URL subscribed to the alarm topic (e.g. an incident tool's SNS integration)"),
        alarmSubscriptionOptOut: bool("Accept that alarms reach no one (refused for production environments)"),
        secretRecoveryWindowDays: int("Days Secrets Manager waits before deleting a secret (7-30)"),
        deployerRoleArns: { type: "array", description: "1-10 IAM roles that deploy the stacks; each secret's policy admits only these and its readers", items: str("IAM role ARN") },
        planRoleArns: { type: "array", description: "1-10 IAM roles that plan the stacks; each secret's policy lets them read its metadata, never its value", items: str("IAM role ARN") },
        outboundIdentityIssuer: str("Issuer URL of the account's IAM outbound identity federation (required for azure.writerAuth federated)"),
        deletionProtection: bool("Protect the DynamoDB tables from deletion"),
      },
    },
    genesys: {
      type: "object",
      properties: {
        orgId: str("Genesys Cloud organization id (a UUID)"),
        regionDomain: str("Region domain of the org", GENESYS_REGION_DOMAINS),
        eventSourceSuffix: str("eventSourceSuffix of the Amazon EventBridge Source integration"),
        maxSilenceMinutes: int("Alarm when the Genesys rules match no event for this many minutes (0 = off; multiple of 5 up to 1440)"),
      },
    },
    azure: {
      type: "object",
      properties: {
        subscriptionId: str("Subscription to deploy into (default: ARM_SUBSCRIPTION_ID)"),
        location: str("Azure region, e.g. westeurope"),
        resourceGroupName: str("Resource group of the vault"),
        storageAccountName: str("Globally unique: 3-24 lowercase letters and digits"),
        replicationType: str("Storage replication", AZURE_REPLICATION_TYPES),
        containerName: str("The vault container (3-63 lowercase letters, digits, single hyphens)"),
        softDeleteRetentionDays: int("Blob and container soft-delete retention in days (1-365)"),
        immutabilityDays: int("WORM period of the vault container in days (1-146000)"),
        immutabilityLocked: bool("Lock the immutability policy (irreversible)"),
        coolAfterDays: int("Days after creation before blobs move to the cool tier"),
        coldAfterDays: int("Days after creation before blobs move to the cold tier (> coolAfterDays; every redundancy supports cold)"),
        archiveAfterDays: int("Days after creation before blobs move to the archive tier (> coolAfterDays and coldAfterDays; LRS, GRS and RAGRS only)"),
        sasValidityDays: int("Validity of the writer SAS in days (> sasRotationDays)"),
        sasRotationDays: int("A re-apply after this many days issues a fresh SAS"),
        applicationOwnerObjectIds: { type: "array", description: "federated mode: 1-10 object ids (users or service principals) that own the vault's Entra applications; never the applying identity", items: str("Entra object id (UUID)") },
        writerAuth: str("How the archiver authenticates to the vault (default federated)", VAULT_WRITER_AUTH_MODES),
        sasExpiryWarningDays: int("sas mode: alarm when the writer SAS expires within this many days"),
        auditLogRetentionDays: int("Retention of the vault's audit trail (StorageRead/Write/Delete logs) in days (30-730)"),
        compliance: {
          type: "object",
          description: "Auditor access to the vault: read-only groups, their networks, and who may place legal holds (docs/security.md)",
          properties: {
            readerGroupObjectIds: { type: "array", description: "Object ids of the Entra groups that may read the vault (no write, no delete)", items: str("Entra group object id (UUID)") },
            networks: { type: "array", description: "Public IPv4 addresses or CIDRs the readers connect from (a single address bare, never /31 or /32)", items: str("Public IPv4 address or CIDR") },
            legalHoldGroupObjectIds: { type: "array", description: "Object ids of the Entra groups that may set and clear legal holds on the vault container", items: str("Entra group object id (UUID)") },
          },
        },
      },
    },
    tags: { type: "map", description: "Tags on every taggable resource of both clouds" },
    genesysStack: {
      type: "object",
      description: "The Genesys side as code (<env>-genesys, <env>-genesys-actions); off by default",
      properties: {
        enabled: bool("Manage the EventBridge integration, per-pipeline roles and OAuth clients and the webhook data action"),
        accessTokenValiditySeconds: int("Lifetime of the pipelines' access tokens (300-172800; default 3600)"),
        additionalPermissions: {
          type: "object",
          description: "Extra domain:entity:action permissions per pipeline role",
          properties: {
            transcriptVault: { type: "array", description: "Extra permissions of the transcript vault's role", items: str("domain:entity:action") },
            interaction: { type: "array", description: "Extra permissions of the interaction role", items: str("domain:entity:action") },
            configSync: { type: "array", description: "Extra permissions of the configuration sync role", items: str("domain:entity:action") },
          },
        },
        webhookTrigger: {
          type: "object",
          description: "Process Automation trigger starting the workflow that calls the webhook data action",
          properties: {
            workflowId: str("Id (a UUID) of the Architect workflow the trigger starts"),
            topicName: str("Topic that fires the trigger, with {id} placeholders"),
            matchCriteria: { type: "array", description: "Conditions on the event (all must hold; at least one)", items: { type: "object", description: "{ jsonPath, operator, value? / values? }", checkedBy: "validateGenesysStack" } },
            eventTtlSeconds: int("Older events do not fire the trigger (>= 10); not with delayBySeconds"),
            delayBySeconds: int("Start the workflow this long after a matching event (60-900); not with eventTtlSeconds"),
            dataFormat: str("How the event reaches the workflow", ["Json", "TopLevelPrimitives"]),
          },
        },
      },
    },
    backends: {
      type: "object",
      description: "Remote Terraform state; required for production environments",
      properties: {
        aws: {
          type: "object",
          description: "S3 state of <env>-aws",
          properties: {
            bucket: str("State bucket (versioned, encrypted)"),
            region: str("Bucket region (default: the environment's region)"),
            key: str("State object key (default: <env>/aws.tfstate)"),
            kmsKeyId: str("KMS key for the state object"),
          },
        },
        azure: {
          type: "object",
          description: "azurerm state of <env>-azure",
          properties: {
            resourceGroupName: str("Resource group of the state storage account"),
            storageAccountName: str("State storage account"),
            containerName: str("State container"),
            key: str("State blob name (default: <env>/azure.tfstate)"),
          },
        },
      },
    },
    pipelines: {
      type: "object",
      description: "Per-pipeline settings; defaults in config/defaults.ts. A list replaces the default list.",
      properties: {
        transcriptVault: {
          type: "object",
          properties: {
            ...queueConsumer,
            topics: topics("Topics archived to the vault (replaces the default list)"),
            maxEventBytes: int("Larger message bodies are quarantined (bytes)"),
            timeGuardSeconds: int("Start no new record or attachment with less than this many seconds of the invocation left (below timeoutSeconds)"),
            reconciler: {
              type: "object",
              description: "The scheduled completeness check of the vault (docs/pipelines.md)",
              properties: {
                enabled: bool("Deploy the reconciler"),
                schedule: str("EventBridge schedule expression, e.g. cron(0 3 * * ? *)"),
                windowHours: int("Conversations that ended in the last this-many hours are checked (1-168)"),
                settleMinutes: int("Leave out conversations that ended this recently (0-1440 minutes)"),
                sliceMinutes: int("Length of the analytics query intervals in the day before the window (1-1440 minutes)"),
                maxConversationDays: int("The longest a conversation may have lasted and still be found when it ends in the window (1-90 days)"),
                requestsPerMinute: int("The reconciler's share of the Genesys rate budget (1-300 requests per minute)"),
                pageSize: int("Analytics page size (1-100)"),
                dryRun: bool("Report what is missing without re-enqueueing it"),
                timeoutSeconds: int("Lambda timeout in seconds (60-900)"),
                memoryMb: int("Lambda memory in MB"),
              },
            },
          },
        },
        interaction: {
          type: "object",
          properties: {
            ...queueConsumer,
            topics: topics("Conversation topics processed by the workflow (replaces the default list)"),
            processorTimeoutSeconds: int("Processor Lambda timeout in seconds"),
            attributePrefix: str("Prefix of the participant attributes the processor writes"),
            processorConcurrency: int("Reserved concurrency of the processor"),
            maxRunningExecutions: int("Executions running at once (the backpressure limit; at most processorConcurrency)"),
            maxEventAgeSeconds: int("How long an event may wait and retry throttles before it is dead-lettered (3600-604800)"),
            genesysRequestsPerMinute: int("The Genesys rate the backlog drains at (per OAuth client)"),
          },
        },
        configSync: {
          type: "object",
          properties: {
            ...queueConsumer,
            rules: { type: "array", description: "AWS capacity -> Genesys sync rules", items: { type: "object", description: "A sync rule", checkedBy: "validateSyncRules" } },
            reconcileEveryMinutes: int("Minutes between reconciliation runs (1-1440)"),
            dryRun: bool("Compute and log changes, write nothing"),
          },
        },
        webhook: {
          type: "object",
          properties: {
            actions: { type: "array", description: "Actions a webhook call may trigger", items: { type: "object", description: "A webhook action", checkedBy: "validateWebhookActions" } },
            throttleRateLimit: int("Steady-state requests per second"),
            throttleBurstLimit: int("Burst of requests"),
            maxBodyBytes: int("Larger bodies are refused with 413 (bytes)"),
            secretHeaderName: str("Header that carries the shared secret"),
            maxClockSkewSeconds: int("Events further in the future are refused with 400"),
            timeoutSeconds: int("Receiver Lambda timeout in seconds (1-29)"),
            memoryMb: int("Receiver Lambda memory in MB"),
          },
        },
      },
    },
  },
} as const satisfies ObjectSpec<EnvironmentInput>;

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** What {@link shapeProblems} found, and the paths it settled (their value checks would only repeat it). */
export interface ShapeProblems {
  readonly problems: readonly string[];
  /** Paths reported here: a wrong type, an unknown key, and the known key an unknown one was meant to be. */
  readonly reported: readonly string[];
}

/** `a string`, `an integer`, `a list of strings`, ... for a message. */
function expected(field: FieldSpec): string {
  switch (field.type) {
    case "object":
      return "an object";
    case "map":
      return "an object of names to string values";
    case "array":
      return `a list of ${"checkedBy" in field.items ? "objects" : `${field.items.type}s`}`;
    case "integer":
      return "an integer";
    case "boolean":
      return "true or false";
    default:
      return `a ${field.type}`;
  }
}

function hasType(value: unknown, field: FieldSpec): boolean {
  switch (field.type) {
    case "object":
      return isPlainObject(value);
    case "map":
      return isPlainObject(value) && Object.values(value).every((v) => typeof v === "string");
    case "array":
      return Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    default:
      return typeof value === field.type;
  }
}

/**
 * The problems of shape in `value`: every key `spec` does not declare, as
 * `<path> is not a known field; did you mean "<path with the closest key>"?`, and every
 * value of the wrong type, as one `<path> must be <type>: <description> (got <value>)`
 * (a list's elements are checked too). Absent keys are not problems here: defaults and
 * value rules decide those.
 * @example shapeProblems({ aws: { natGateway: 2, interfaceEndpoints: "sqs" } }, ENVIRONMENT_SPEC).problems
 * // ['aws.natGateway is not a known field; did you mean "aws.natGateways"?',
 * //  'aws.interfaceEndpoints must be a list of strings: Interface endpoints ... (got "sqs")']
 */
export function shapeProblems(value: unknown, spec: ObjectSpec<any>, path = ""): ShapeProblems {
  const problems: string[] = [];
  const reported: string[] = [];
  if (!isPlainObject(value)) return { problems, reported };
  const properties = spec.properties as Record<string, FieldSpec>;
  const known = Object.keys(properties);
  const prefix = path ? `${path}.` : "";
  for (const [key, child] of Object.entries(value)) {
    const at = `${prefix}${key}`;
    const field = properties[key];
    if (!field) {
      const match = closestMatch(key, known);
      const hint = match !== undefined ? `did you mean "${prefix}${match}"?` : `known fields here: ${known.join(", ")}`;
      problems.push(`${at} is not a known field; ${hint}`);
      reported.push(at, ...(match !== undefined && value[match] === undefined ? [`${prefix}${match}`] : []));
    } else if (child === undefined) {
      // Left out: the defaults and the value rules speak for it.
    } else if (!hasType(child, field)) {
      const description = "description" in field && field.description ? `: ${field.description}` : "";
      problems.push(`${at} must be ${expected(field)}${description} (got ${JSON.stringify(child)})`);
      reported.push(at);
    } else if (field.type === "object") {
      const nested = shapeProblems(child, field, at);
      problems.push(...nested.problems);
      reported.push(...nested.reported);
    } else if (field.type === "array" && !("checkedBy" in field.items)) {
      const items = field.items;
      (child as unknown[]).forEach((item, i) => {
        if (hasType(item, items)) return;
        problems.push(`${at}[${i}] must be ${expected(items)}: ${items.description} (got ${JSON.stringify(item)})`);
        reported.push(at);
      });
    }
  }
  return { problems, reported };
}

type JsonSchema = Record<string, unknown>;

function fieldSchema(field: FieldSpec): JsonSchema {
  switch (field.type) {
    case "object":
      return {
        type: "object",
        ...(field.description ? { description: field.description } : {}),
        additionalProperties: false,
        properties: Object.fromEntries(Object.entries(field.properties as Record<string, FieldSpec>).map(([k, v]) => [k, fieldSchema(v)])),
      };
    case "map":
      return { type: "object", description: field.description, additionalProperties: { type: "string" } };
    case "array":
      return { type: "array", description: field.description, items: "checkedBy" in field.items ? { type: "object", description: field.items.description } : fieldSchema(field.items) };
    default:
      return { type: field.type, description: field.description, ...(field.enum ? { enum: field.enum } : {}) };
  }
}

/**
 * The JSON Schema (draft 2020-12) of a `GCV_CONFIG_FILE`: environment names to
 * partial environments. Editors use it for completion and to flag unknown keys;
 * value rules are checked at synth, where the messages are precise.
 */
export function configFileJsonSchema(): JsonSchema {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "Genesys vault pipelines: environment overrides (GCV_CONFIG_FILE)",
    description: "Generated from config/schema.ts by `npm run schema`; do not edit. Keys are environment names; each value deep-merges over that environment (a new name must be complete).",
    type: "object",
    properties: { $schema: { type: "string" } },
    additionalProperties: { $ref: "#/$defs/environment" },
    $defs: { environment: fieldSchema(ENVIRONMENT_SPEC) },
  };
}
