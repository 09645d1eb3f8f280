import { Annotations, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/types";
import { deriveNames } from "../config/validate";
import {
  GenesysAuthRole,
  GenesysIntegration,
  GenesysIntegrationAction,
  GenesysIntegrationCredential,
  GenesysOAuthClient,
  GenesysProcessAutomationTrigger,
  GenesysProvider,
  matchCriteriaJson,
} from "../constructs/genesys/bindings";
import {
  deployedClientPipelines,
  eventBridgeTopics,
  GENESYS_PROVIDER_REGIONS,
  genesysClientSecretName,
  permissionPolicies,
  requiredPermissions,
  type GenesysClientPipeline,
} from "../constructs/genesys/pipeline-clients";
import { configureBackend } from "./backends";

/** The provider block both Genesys stacks use; its credentials come from GENESYSCLOUD_OAUTHCLIENT_ID/_SECRET. */
function genesysProvider(stack: TerraformStack, env: EnvironmentConfig): GenesysProvider {
  const region = GENESYS_PROVIDER_REGIONS[env.genesys.regionDomain];
  // Validation refuses enabling the stack for such a domain; this guards direct construction.
  if (!region) throw new Error(`${stack.node.id}: the genesyscloud provider has no region for ${env.genesys.regionDomain}`);
  // Explicitly off, so GENESYSCLOUD_SDK_DEBUG / _LOG_STACK_TRACES in a CI environment cannot write
  // request bodies (the webhook credential's fields) to a log file.
  return new GenesysProvider(stack, "genesyscloud", { aws_region: region, sdk_debug: false, log_stack_traces: false });
}

export interface GenesysStackProps {
  readonly env: EnvironmentConfig;
}

/**
 * `<env>-genesys`, deployed **before** `<env>-aws`: the Amazon EventBridge
 * Source integration (whose partner event source the AWS bus attaches to),
 * and one role and one client-credentials OAuth client per pipeline that calls
 * Genesys. It needs only configuration (account, region, topics), never AWS
 * outputs, so `<env>-aws` can depend on it without a cycle.
 */
export class GenesysStack extends TerraformStack {
  public readonly integration: GenesysIntegration;
  public readonly roles: Partial<Record<GenesysClientPipeline, GenesysAuthRole>> = {};
  public readonly clients: Partial<Record<GenesysClientPipeline, GenesysOAuthClient>> = {};

  constructor(scope: Construct, id: string, props: GenesysStackProps) {
    super(scope, id);
    const { env } = props;
    const prefix = deriveNames(env).awsPrefix;
    configureBackend(this, env, "genesys");
    genesysProvider(this, env);

    // Property names and shape as in GenesysCloudDevOps/aws-event-bridge-module.
    this.integration = new GenesysIntegration(this, "eventbridge", {
      integration_type: "amazon-eventbridge-source",
      intended_state: "ENABLED",
      config: [
        {
          name: `${prefix} Amazon EventBridge`,
          notes: `Genesys Cloud events for ${prefix}; topics follow the pipeline configuration (managed by cdktf)`,
          properties: JSON.stringify({
            eventSourceSuffix: env.genesys.eventSourceSuffix,
            awsAccountId: env.aws.accountId,
            awsAccountRegion: env.aws.region,
            eventFilter: eventBridgeTopics(env),
          }),
          advanced: "{}",
        },
      ],
    });
    new TerraformOutput(this, "eventbridge_integration_id", { value: this.integration.genesysId });

    for (const pipeline of deployedClientPipelines(env)) {
      const permissions = requiredPermissions(env, pipeline).map((p) => p.permission);
      if (permissions.length === 0) {
        Annotations.of(this).addWarning(
          `${pipeline}: its role grants no permission (the Genesys docs list none for its API call); add one with genesysStack.additionalPermissions if calls answer 403`,
        );
      }
      const role = new GenesysAuthRole(this, `${pipeline}-role`, {
        name: `${prefix}-${pipeline}`,
        description: `Least privilege for the ${pipeline} pipeline's Lambda (managed by cdktf)`,
        permission_policies: permissions.length ? permissionPolicies(permissions) : undefined,
      });
      const client = new GenesysOAuthClient(this, `${pipeline}-client`, {
        name: `${prefix}-${pipeline}`,
        description: `Client credentials of the ${pipeline} pipeline; secret in AWS ${genesysClientSecretName(prefix, pipeline)}`,
        authorized_grant_type: "CLIENT-CREDENTIALS",
        access_token_validity_seconds: env.genesysStack.accessTokenValiditySeconds,
        // The secret Genesys returns on creation is dropped, not stored in state; see docs/genesys-as-code.md.
        expose_client_secret: false,
        state: "active",
        // No division_id: the home division.
        roles: [{ role_id: role.genesysId }],
      });
      this.roles[pipeline] = role;
      this.clients[pipeline] = client;
      new TerraformOutput(this, `${pipeline.replace(/-/g, "_")}_client_id`, {
        value: client.clientId,
        description: `Put with its reset secret into ${genesysClientSecretName(prefix, pipeline)}`,
      });
    }
  }
}

export interface GenesysActionsStackProps {
  readonly env: EnvironmentConfig;
  /** The webhook receiver's URL (cross-stack reference to `<env>-aws`). */
  readonly webhookUrl: string;
}

/**
 * `<env>-genesys-actions`, deployed **after** `<env>-aws`: the Web Services
 * Data Actions integration, its credential and the action that POSTs to the
 * webhook receiver, and optionally the Process Automation trigger of the
 * workflow that calls it. Terraform creates the credential without a value and never
 * reads the shared secret: an operator copies it from the AWS secret into the credential
 * (docs/genesys-as-code.md), so no plan or state of this stack holds it.
 */
export class GenesysActionsStack extends TerraformStack {
  public readonly integration: GenesysIntegration;
  public readonly credential: GenesysIntegrationCredential;
  public readonly action: GenesysIntegrationAction;
  public readonly trigger?: GenesysProcessAutomationTrigger;

  constructor(scope: Construct, id: string, props: GenesysActionsStackProps) {
    super(scope, id);
    const { env } = props;
    const prefix = deriveNames(env).awsPrefix;
    const wh = env.pipelines.webhook;
    configureBackend(this, env, "genesys-actions");
    genesysProvider(this, env);

    // No `fields`: the provider's `fields` is Optional + Computed and its read never sets it
    // (MyPureCloud/terraform-provider-genesyscloud, genesyscloud/integration_credential), so the
    // value an operator puts later causes no diff; ignore_changes keeps a later apply from
    // blanking it. No write-only argument exists there, and a data source would read the AWS
    // secret at every plan.
    this.credential = new GenesysIntegrationCredential(this, "webhook-credential", {
      name: `${prefix}-webhook`,
      credential_type_name: "userDefined",
    });
    this.credential.lifecycle = { ignoreChanges: ["fields"] };
    const category = `${prefix} webhook`;
    this.integration = new GenesysIntegration(this, "webhook-integration", {
      integration_type: "custom-rest-actions",
      intended_state: "ENABLED",
      config: [
        {
          name: category,
          notes: `Calls the ${prefix} webhook receiver (managed by cdktf)`,
          credentials: { basicAuth: this.credential.genesysId },
          properties: "{}",
          advanced: "{}",
        },
      ],
    });
    this.action = new GenesysIntegrationAction(this, "webhook-action", {
      name: `${prefix} webhook event`,
      category,
      integration_id: this.integration.genesysId,
      // Inputs and outputs stay out of Genesys execution logs.
      secure: true,
      // The receiver answers within its own timeout; Genesys allows at most 60 s.
      config_timeout_seconds: Math.min(60, wh.timeoutSeconds + 5),
      contract_input: JSON.stringify(webhookInputSchema(wh.actions.map((a) => a.name))),
      contract_output: JSON.stringify({ type: "object", properties: { status: { type: "string" } } }),
      config_request: [
        {
          request_type: "POST",
          request_url_template: props.webhookUrl,
          // `$${` is a literal `${` for Terraform: Genesys' Velocity templates, not interpolation.
          request_template: "$${input.rawRequest}",
          headers: { "Content-Type": "application/json", [wh.secretHeaderName]: "$${credentials.sharedSecret}" },
        },
      ],
      config_response: [{ translation_map: { status: "$.status" }, success_template: '{"status": $${status}}' }],
    });

    const t = env.genesysStack.webhookTrigger;
    if (t) {
      this.trigger = new GenesysProcessAutomationTrigger(this, "webhook-trigger", {
        name: `${prefix}-webhook`,
        description: `Starts the workflow that calls the ${prefix} webhook data action (managed by cdktf)`,
        topic_name: t.topicName,
        enabled: true,
        target: [{ id: t.workflowId, type: "Workflow", workflow_target_settings: t.dataFormat ? [{ data_format: t.dataFormat }] : undefined }],
        match_criteria: matchCriteriaJson(t.matchCriteria),
        event_ttl_seconds: t.eventTtlSeconds,
        delay_by_seconds: t.delayBySeconds,
      });
    }
    new TerraformOutput(this, "webhook_action_id", { value: this.action.genesysId });
    // Where the operator puts the shared secret (docs/genesys-as-code.md#deploying).
    new TerraformOutput(this, "webhook_credential_id", { value: this.credential.genesysId });
  }
}

/** The JSON schema of the webhook contract (functions/webhook-receiver/contract.ts), as the data action's input. */
export function webhookInputSchema(actionNames: readonly string[]): Record<string, unknown> {
  return {
    type: "object",
    required: ["eventId", "resourceId", "timestamp", "action", "signal"],
    additionalProperties: false,
    properties: {
      eventId: { type: "string", description: "Unique per event; a retry repeats it" },
      resourceId: { type: "string", description: "What ordering is kept per" },
      timestamp: { type: "string", description: "Event time, ISO 8601 with a zone" },
      action: { type: "string", enum: [...actionNames] },
      signal: { type: "number", minimum: 0 },
    },
  };
}
