import { readFileSync } from "node:fs";
import { applyDefaults, nameBoundValues, replacedDefaultLists } from "./defaults";
import { sampleEnvironments } from "./environments";
import { deepMerge, isPlainObject } from "./merge";
import type { DeepPartial, EnvironmentConfig, EnvironmentInput } from "./types";
import { closestMatch } from "../functions/shared/suggest";
import { assertValidEnvironments, ConfigError } from "./validate";

/** Per-environment overrides, keyed by environment name. */
export type EnvironmentOverrides = Record<string, DeepPartial<EnvironmentConfig>>;

export { deepMerge };

/**
 * Environment variables that override one field of one environment:
 * `GCV_<ENV>_<SUFFIX>`, e.g. `GCV_PROD_GENESYS_ORG_ID`. Documented in the README.
 */
export const ENV_VAR_FIELDS: ReadonlyArray<{ suffix: string; path: string; type: "string" | "number" | "boolean" }> = [
  { suffix: "AWS_ACCOUNT_ID", path: "aws.accountId", type: "string" },
  { suffix: "AWS_REGION", path: "aws.region", type: "string" },
  { suffix: "NAT_GATEWAYS", path: "aws.natGateways", type: "number" },
  { suffix: "ALARM_EMAIL", path: "aws.alarmEmail", type: "string" },
  { suffix: "AWS_OUTBOUND_IDENTITY_ISSUER", path: "aws.outboundIdentityIssuer", type: "string" },
  { suffix: "ALARM_HTTPS_ENDPOINT", path: "aws.alarmHttpsEndpoint", type: "string" },
  { suffix: "GENESYS_ORG_ID", path: "genesys.orgId", type: "string" },
  { suffix: "GENESYS_REGION_DOMAIN", path: "genesys.regionDomain", type: "string" },
  { suffix: "GENESYS_EVENT_SOURCE_SUFFIX", path: "genesys.eventSourceSuffix", type: "string" },
  { suffix: "GENESYS_STACK_ENABLED", path: "genesysStack.enabled", type: "boolean" },
  { suffix: "AZURE_SUBSCRIPTION_ID", path: "azure.subscriptionId", type: "string" },
  { suffix: "AZURE_LOCATION", path: "azure.location", type: "string" },
  { suffix: "AZURE_STORAGE_ACCOUNT_NAME", path: "azure.storageAccountName", type: "string" },
  { suffix: "AZURE_RESOURCE_GROUP_NAME", path: "azure.resourceGroupName", type: "string" },
  { suffix: "AZURE_WRITER_AUTH", path: "azure.writerAuth", type: "string" },
  { suffix: "STATE_BUCKET", path: "backends.aws.bucket", type: "string" },
];

export interface LoadOptions {
  /** Process environment. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Overrides from cdktf context (`cdktf.json` "context": { "environments": {...} }). */
  readonly contextOverrides?: EnvironmentOverrides;
  /** The environments to start from. @default the shipped samples */
  readonly base?: readonly EnvironmentInput[];
  /** Receives warnings (e.g. a default list replaced). @default console.warn */
  readonly onWarning?: (message: string) => void;
}

/** Variables that are not per environment. */
// GCV_SYNTH_DIR is read by the ops CLI (where it finds the synthesized stacks), not by synth.
// GCV_VAULT_BLOB_ENDPOINT and GCV_VAULT_MANAGEMENT_ENDPOINT are read by the vault CLI (endpoint overrides).
export const GLOBAL_VARIABLES = ["GCV_CONFIG_FILE", "GCV_ENVIRONMENTS", "GCV_SYNTH_DIR", "GCV_VAULT_BLOB_ENDPOINT", "GCV_VAULT_MANAGEMENT_ENDPOINT"] as const;

/**
 * Every `GCV_*` variable that is neither global nor `GCV_<ENV>_<SUFFIX>` of a known
 * environment and suffix, each with the closest known variable: a typo must fail,
 * not be ignored.
 */
export function unknownVariables(env: NodeJS.ProcessEnv, environments: Iterable<string>): string[] {
  const envNames = [...environments].map((n) => n.toUpperCase());
  const suffixes = ENV_VAR_FIELDS.map((f) => f.suffix);
  const everyName = [...GLOBAL_VARIABLES, ...envNames.flatMap((e) => suffixes.map((s) => `GCV_${e}_${s}`))];
  const problems: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("GCV_") || (GLOBAL_VARIABLES as readonly string[]).includes(name)) continue;
    const envName = envNames.find((e) => name.startsWith(`GCV_${e}_`));
    if (envName && suffixes.includes(name.slice(`GCV_${envName}_`.length))) continue;
    // Within a known environment's prefix, suggest among its suffixes; else among every name.
    const match = envName ? closestMatch(name, suffixes.map((s) => `GCV_${envName}_${s}`)) : closestMatch(name, everyName);
    const hint = match
      ? `did you mean ${match}?`
      : `known: ${GLOBAL_VARIABLES.join(", ")} and GCV_<ENV>_<FIELD> with <ENV> one of ${envNames.join(", ")} and <FIELD> one of ${suffixes.join(", ")}`;
    problems.push(`${name} is not a known variable; ${hint}`);
  }
  return problems;
}


function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let cur = target;
  for (const k of keys.slice(0, -1)) {
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}

function parseValue(raw: string, type: "string" | "number" | "boolean", varName: string): unknown {
  if (type === "number") {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) throw new ConfigError([`${varName} must be a number (got ${JSON.stringify(raw)})`]);
    return n;
  }
  if (type === "boolean") {
    if (raw !== "true" && raw !== "false") throw new ConfigError([`${varName} must be true or false (got ${JSON.stringify(raw)})`]);
    return raw === "true";
  }
  return raw;
}

function readConfigFile(file: string): EnvironmentOverrides {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError([`GCV_CONFIG_FILE ${file} cannot be read: ${(e as Error).message}`]);
  }
  try {
    const parsed = JSON.parse(text);
    if (!isPlainObject(parsed)) throw new Error("top level must be an object keyed by environment name");
    // "$schema" points editors at config/environments.schema.json; it is not an environment.
    const { $schema: _schema, ...environments } = parsed;
    return environments as EnvironmentOverrides;
  } catch (e) {
    throw new ConfigError([`GCV_CONFIG_FILE ${file} is not valid JSON: ${(e as Error).message}`]);
  }
}

/**
 * Loads the environments: samples, then the JSON file named by `GCV_CONFIG_FILE`,
 * then cdktf context, then `GCV_<ENV>_<FIELD>` variables; keeps those named in
 * `GCV_ENVIRONMENTS` (comma-separated; default all) and validates them.
 *
 * @throws ConfigError naming the environment and field of every problem.
 * @example
 * const envs = loadEnvironments({ env: { GCV_ENVIRONMENTS: "dev" } });
 */
export function loadEnvironments(opts: LoadOptions = {}): EnvironmentConfig[] {
  const env = opts.env ?? process.env;
  const layers: EnvironmentOverrides[] = [];
  if (env.GCV_CONFIG_FILE) layers.push(readConfigFile(env.GCV_CONFIG_FILE));
  if (opts.contextOverrides) layers.push(opts.contextOverrides);

  const base = opts.base ?? sampleEnvironments;
  const known = new Set(base.map((e) => e.name));
  for (const layer of layers) {
    for (const name of Object.keys(layer)) {
      // A new environment must be complete; it is validated like the samples.
      if (!known.has(name)) known.add(name);
    }
  }
  const badVariables = unknownVariables(env, known);
  if (badVariables.length) throw new ConfigError(badVariables);

  const warnings = new Map<string, string[]>();
  const envs = [...known].map((name) => {
    let merged = (base.find((e) => e.name === name) ?? { name }) as EnvironmentInput;
    for (const layer of layers) merged = deepMerge(merged, layer[name]);
    const fromVars: Record<string, unknown> = {};
    for (const f of ENV_VAR_FIELDS) {
      const varName = `GCV_${name.toUpperCase()}_${f.suffix}`;
      const raw = env[varName];
      if (raw !== undefined) setPath(fromVars, f.path, parseValue(raw, f.type, varName));
    }
    merged = deepMerge(merged, fromVars);
    const nameWarnings: string[] = [];
    merged = nameBoundValues({ ...merged, name }, (w) => nameWarnings.push(w));
    warnings.set(name, [...nameWarnings, ...replacedDefaultLists(merged)]);
    return applyDefaults(merged);
  });

  // Unset or empty selects every environment.
  const selected = env.GCV_ENVIRONMENTS?.trim() ? env.GCV_ENVIRONMENTS.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
  if (selected) {
    const unknown = selected.filter((s) => !known.has(s));
    if (unknown.length) throw new ConfigError([`GCV_ENVIRONMENTS names unknown environment(s): ${unknown.join(", ")} (known: ${[...known].join(", ")})`]);
  }
  const result = selected ? envs.filter((e) => selected.includes(e.name)) : envs;
  try {
    assertValidEnvironments(result);
  } catch (e) {
    // A new environment that fails validation may be a misspelled existing one.
    const baseNames = base.map((b) => b.name);
    const hints = result
      .filter((r) => !baseNames.includes(r.name) && r.new !== true)
      .flatMap((r) => {
        const match = closestMatch(r.name, baseNames);
        return match
          ? [`environment "${r.name}" is not one of ${baseNames.join(", ")}, so it must be complete; did you mean "${match}"? (If "${r.name}" is a new environment, set "new": true in it.)`]
          : [];
      });
    if (e instanceof ConfigError && hints.length) throw new ConfigError([...hints, ...e.problems]);
    throw e;
  }
  const warn = opts.onWarning ?? ((message: string) => console.warn(`Warning: ${message}`));
  for (const e of result) for (const w of warnings.get(e.name) ?? []) warn(`environment "${e.name}": ${w}`);
  return result;
}
