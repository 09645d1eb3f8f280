/**
 * Typed bindings for the few `mypurecloud/genesyscloud` resources this program
 * declares. No prebuilt `@cdktf/provider-genesyscloud` exists and the provider
 * binary cannot be fetched offline, so `cdktf get` cannot generate them here.
 *
 * Attribute names, types and nesting are exactly those of the provider's Go
 * schema at the pinned tag (snake_case, as in HCL), recorded in
 * `genesyscloud-schema.json` by `scripts/genesys-provider-schema.ts`; a test
 * checks every synthesized attribute against that file. Nested blocks are
 * written as lists, which Terraform's JSON syntax accepts for every nesting mode.
 */
import { TerraformProvider, TerraformResource, type ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import schema from "./genesyscloud-schema.json";

/** The provider release whose source the schema file was generated from; pinned exactly in `required_providers`. */
export const GENESYS_PROVIDER_VERSION: string = schema.provider.version;
const METADATA = { providerName: "genesyscloud", providerVersion: GENESYS_PROVIDER_VERSION };

/** Drops undefined members, so optional arguments left out are not written at all. */
function defined<T extends object>(o: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * The provider's `aws_region` values and the Genesys domain each selects
 * (`getRegionMap()` in the provider source at the pinned tag).
 */
export const GENESYS_PROVIDER_REGION_MAP: Readonly<Record<string, string>> = schema.provider.regions;

export interface GenesysProviderConfig {
  /** AWS region of the org (the provider maps it to the API domain), e.g. `eu-west-1`. Credentials come from `GENESYSCLOUD_OAUTHCLIENT_ID`/`_SECRET`. */
  readonly aws_region: string;
  /** SDK debug tracing writes every request, credential fields included, to a file. */
  readonly sdk_debug?: boolean;
  /** Stack traces written to a file on a provider crash. */
  readonly log_stack_traces?: boolean;
}

/** `provider "genesyscloud"`, pinned to {@link GENESYS_PROVIDER_VERSION}. */
export class GenesysProvider extends TerraformProvider {
  constructor(scope: Construct, id: string, private readonly config: GenesysProviderConfig) {
    super(scope, id, { terraformResourceType: "genesyscloud", terraformGeneratorMetadata: METADATA, terraformProviderSource: schema.provider.source });
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return defined(this.config);
  }
}

interface MetaArguments {
  readonly dependsOn?: ITerraformDependable[];
}

/** One genesyscloud resource: its arguments are written exactly as given. */
abstract class GenesysResource<C extends object> extends TerraformResource {
  protected constructor(scope: Construct, id: string, type: string, private readonly args: C, meta: MetaArguments = {}) {
    super(scope, id, { terraformResourceType: type, terraformGeneratorMetadata: METADATA, dependsOn: meta.dependsOn });
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return defined(this.args);
  }
  /** The Genesys id of the object. */
  public get genesysId(): string {
    return this.getStringAttribute("id");
  }
}

export interface IntegrationConfigBlock {
  readonly name?: string;
  readonly notes?: string;
  /** JSON string of the integration type's config properties. */
  readonly properties?: string;
  /** JSON string of the advanced config. */
  readonly advanced?: string;
  /** Credential ids keyed by the integration type's credential name, e.g. `basicAuth`. */
  readonly credentials?: Record<string, string>;
}
export interface IntegrationArgs {
  readonly integration_type: string;
  /** The provider accepts only these two (its default is `DISABLED`). */
  readonly intended_state?: "ENABLED" | "DISABLED";
  readonly config?: IntegrationConfigBlock[];
}
/** `genesyscloud_integration` */
export class GenesysIntegration extends GenesysResource<IntegrationArgs> {
  constructor(scope: Construct, id: string, args: IntegrationArgs, meta?: MetaArguments) {
    super(scope, id, "genesyscloud_integration", args, meta);
  }
}

export interface PermissionPolicy {
  readonly domain: string;
  readonly entity_name: string;
  readonly action_set: string[];
}
export interface AuthRoleArgs {
  readonly name: string;
  readonly description?: string;
  readonly permissions?: string[];
  readonly permission_policies?: PermissionPolicy[];
}
/** `genesyscloud_auth_role` */
export class GenesysAuthRole extends GenesysResource<AuthRoleArgs> {
  constructor(scope: Construct, id: string, args: AuthRoleArgs) {
    super(scope, id, "genesyscloud_auth_role", args);
  }
}

export interface OAuthClientArgs {
  readonly name: string;
  readonly description?: string;
  readonly authorized_grant_type: "CLIENT-CREDENTIALS";
  readonly access_token_validity_seconds?: number;
  /** Left false: the secret Genesys returns on creation is then not kept in state. */
  readonly expose_client_secret?: boolean;
  readonly state?: "active" | "inactive";
  /** Grants; without `division_id` the home division is used. */
  readonly roles: { readonly role_id: string; readonly division_id?: string }[];
}
/** `genesyscloud_oauth_client` (client-credentials only: nothing here needs another grant). */
export class GenesysOAuthClient extends GenesysResource<OAuthClientArgs> {
  constructor(scope: Construct, id: string, args: OAuthClientArgs) {
    super(scope, id, "genesyscloud_oauth_client", args);
  }
  /** The OAuth client id (not secret). */
  public get clientId(): string {
    return this.getStringAttribute("client_id");
  }
}

export interface IntegrationCredentialArgs {
  readonly name?: string;
  readonly credential_type_name: string;
  /** Sensitive in the provider: redacted in plans and logs, but kept in state. */
  readonly fields?: Record<string, string>;
}
/** `genesyscloud_integration_credential` */
export class GenesysIntegrationCredential extends GenesysResource<IntegrationCredentialArgs> {
  constructor(scope: Construct, id: string, args: IntegrationCredentialArgs) {
    super(scope, id, "genesyscloud_integration_credential", args);
  }
}

export interface IntegrationActionArgs {
  readonly name: string;
  readonly category: string;
  readonly integration_id: string;
  /** JSON schema of the action's input. */
  readonly contract_input: string;
  /** JSON schema of the action's output. */
  readonly contract_output: string;
  readonly secure?: boolean;
  readonly config_timeout_seconds?: number;
  readonly config_request?: {
    readonly request_type: "GET" | "PUT" | "POST" | "PATCH" | "DELETE";
    readonly request_url_template?: string;
    /** Velocity template; a literal `${` must be written `$${` (Terraform interpolation). */
    readonly request_template?: string;
    readonly headers?: Record<string, string>;
  }[];
  readonly config_response?: {
    readonly success_template?: string;
    readonly translation_map?: Record<string, string>;
    readonly translation_map_defaults?: Record<string, string>;
  }[];
  /** Function data actions only: the zip the provider uploads. */
  readonly function_config?: {
    readonly file_path: string;
    readonly description?: string;
    readonly handler?: string;
    readonly runtime?: string;
    readonly timeout_seconds?: number;
    readonly zip_id?: string;
  }[];
}
/** `genesyscloud_integration_action` */
export class GenesysIntegrationAction extends GenesysResource<IntegrationActionArgs> {
  constructor(scope: Construct, id: string, args: IntegrationActionArgs) {
    super(scope, id, "genesyscloud_integration_action", args);
  }
}

/** One condition of a Process Automation trigger (the Genesys API's `matchCriteria` item). */
export interface MatchCriterion {
  readonly jsonPath: string;
  readonly operator: string;
  readonly value?: string;
  readonly values?: readonly string[];
}

/** Go's `encoding/json` string escaping: JSON.stringify's, plus `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes. */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * `match_criteria` as the provider takes it: a JSON string (the attribute has
 * been a string, not a block, since the provider changed it to allow complex
 * criteria) of an array of `{jsonPath, operator, value | values}` objects.
 * Written exactly as the provider writes it back after reading the trigger
 * (Go `json.Marshal` of the API's array: keys sorted, no spaces), so the
 * provider's post-apply consistency check and later plans see no difference.
 */
export function matchCriteriaJson(criteria: readonly MatchCriterion[]): string {
  const item = (c: MatchCriterion) => {
    const parts = [`"jsonPath":${goJsonString(c.jsonPath)}`, `"operator":${goJsonString(c.operator)}`];
    if (c.value !== undefined) parts.push(`"value":${goJsonString(c.value)}`);
    if (c.values !== undefined) parts.push(`"values":[${c.values.map(goJsonString).join(",")}]`);
    return `{${parts.join(",")}}`;
  };
  return `[${criteria.map(item).join(",")}]`;
}

export interface ProcessAutomationTriggerArgs {
  readonly name: string;
  readonly topic_name: string;
  readonly enabled: boolean;
  readonly target: {
    readonly id: string;
    readonly type: "Workflow";
    /** How the event reaches the workflow; the provider notes Genesys uses `TopLevelPrimitives` until the feature is enabled. */
    readonly workflow_target_settings?: { readonly data_format?: "Json" | "TopLevelPrimitives" }[];
  }[];
  /** A JSON string: build it with {@link matchCriteriaJson}. */
  readonly match_criteria?: string;
  /** 10 or more; exclusive with `delay_by_seconds`. */
  readonly event_ttl_seconds?: number;
  /** 60 to 900; exclusive with `event_ttl_seconds`. */
  readonly delay_by_seconds?: number;
  /** Up to 512 characters. */
  readonly description?: string;
}
/** `genesyscloud_processautomation_trigger` */
export class GenesysProcessAutomationTrigger extends GenesysResource<ProcessAutomationTriggerArgs> {
  constructor(scope: Construct, id: string, args: ProcessAutomationTriggerArgs) {
    super(scope, id, "genesyscloud_processautomation_trigger", args);
  }
}
