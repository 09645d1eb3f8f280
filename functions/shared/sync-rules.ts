/**
 * Declarative rules of the configuration sync (AWS capacity -> Genesys routing
 * configuration): types, validation and the pure arithmetic.
 *
 * A rule says: "the Genesys field F of target T follows the number of in-service
 * instances of Auto Scaling group G, times `perInstance`, clamped to [min, max]".
 * Rules live in the typed environment config and reach the function as the
 * SYNC_RULES environment variable (JSON, not secret).
 *
 * @example
 * const rule: SyncRule = {
 *   name: "backend-messaging",
 *   source: { autoScalingGroupName: "backend-asg" },
 *   target: { kind: "orgUtilization", mediaType: "message", field: "maximumCapacity" },
 *   perInstance: 2, min: 1, max: 10,
 * };
 * desiredValue(rule, 3); // 6
 */
import { closestMatch } from "./suggest";

/** Media types of Genesys utilization (`/api/v2/routing/utilization`). */
export const UTILIZATION_MEDIA_TYPES = ["call", "callback", "chat", "email", "message"] as const;
/** One of {@link UTILIZATION_MEDIA_TYPES}. */
export type UtilizationMediaType = (typeof UTILIZATION_MEDIA_TYPES)[number];

/** Genesys accepts `maximumCapacity` from 0 to 25 (per media type). */
export const MAX_UTILIZATION_CAPACITY = 25;

/** Organization-wide utilization of one media type (`PUT /api/v2/routing/utilization`). */
export interface OrgUtilizationTarget {
  kind: "orgUtilization";
  mediaType: UtilizationMediaType;
  field: "maximumCapacity";
}

/** One user's utilization of one media type (`PUT /api/v2/routing/users/{userId}/utilization`). */
export interface UserUtilizationTarget {
  kind: "userUtilization";
  userId: string;
  mediaType: UtilizationMediaType;
  field: "maximumCapacity";
}

/**
 * A numeric field of a queue (`PUT /api/v2/routing/queues/{queueId}`), top-level or a
 * dotted path such as `acwSettings.timeoutMs`. The field must already exist and be a
 * number on the queue: the sync never invents structure in a full-replace object.
 */
export interface QueueFieldTarget {
  kind: "queueField";
  queueId: string;
  field: string;
}

/** What a rule writes in Genesys. */
export type SyncTarget = OrgUtilizationTarget | UserUtilizationTarget | QueueFieldTarget;

/** Where a rule reads AWS capacity from. */
export interface SyncSource {
  /** Name of the Auto Scaling group whose in-service instances are counted. */
  autoScalingGroupName: string;
}

/** One declarative sync rule. */
export interface SyncRule {
  /** Unique name (appears in logs and the audit table). */
  name: string;
  source: SyncSource;
  target: SyncTarget;
  /** Genesys units per in-service instance (may be fractional; the result is rounded down). */
  perInstance: number;
  /** Lower bound of the written value. */
  min: number;
  /** Upper bound of the written value. */
  max: number;
  /** Minimum time between two applied changes of this rule's field; changes inside it wait for the next reconciliation. @default 0 */
  cooldownSeconds?: number;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Auto Scaling group names: 1-255 characters, no colon (AWS rejects it in names used here). */
const ASG_NAME_PATTERN = /^[^:\s][^:]{0,254}$/;
/** Genesys ids (queues, users) are UUIDs; accept any id-like token so tests and future ids work. */
const GENESYS_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;
const FIELD_PATH_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** Queue fields the sync must never write: identity, naming and server-managed bookkeeping. */
const PROTECTED_QUEUE_FIELDS = new Set(["id", "name", "division", "selfUri", "dateCreated", "dateModified", "modifiedBy", "createdBy", "memberCount", "userMemberCount", "joinedMemberCount", "version"]);

/**
 * Validates rules (e.g. parsed SYNC_RULES or the typed environment config) and
 * returns one clear message per problem, each naming the field (`<path>[i].field`).
 * An empty array means valid.
 *
 * @example
 * const errors = validateSyncRules(config.configSync.rules, "environments.prod.configSync.rules");
 * if (errors.length) throw new Error(errors.join("\n"));
 */
export function validateSyncRules(rules: unknown, path: string): string[] {
  if (!Array.isArray(rules)) return [`${path} must be an array of sync rules`];
  const errors: string[] = [];
  const names = new Map<string, number>();
  const fields = new Map<string, number>();
  rules.forEach((rule, index) => {
    const at = `${path}[${index}]`;
    if (!isRecord(rule)) {
      errors.push(`${at} must be an object`);
      return;
    }
    const before = errors.length;
    checkKeys(rule, ["name", "source", "target", "perInstance", "min", "max", "cooldownSeconds"], at, errors);

    if (typeof rule.name !== "string" || !NAME_PATTERN.test(rule.name)) {
      errors.push(`${at}.name must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`);
    } else if (names.has(rule.name)) {
      errors.push(`${at}.name "${rule.name}" is already used by ${path}[${names.get(rule.name)}]`);
    } else {
      names.set(rule.name, index);
    }

    if (!isRecord(rule.source)) {
      errors.push(`${at}.source must be an object like { "autoScalingGroupName": "backend-asg" }`);
    } else {
      checkKeys(rule.source, ["autoScalingGroupName"], `${at}.source`, errors);
      if (typeof rule.source.autoScalingGroupName !== "string" || !ASG_NAME_PATTERN.test(rule.source.autoScalingGroupName)) {
        errors.push(`${at}.source.autoScalingGroupName must be an Auto Scaling group name (1-255 characters, no ':')`);
      }
    }

    const targetValid = validateTarget(rule.target, `${at}.target`, errors);

    for (const key of ["perInstance", "min", "max"] as const) {
      const value = rule[key];
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        errors.push(`${at}.${key} must be a finite number >= 0`);
      }
    }
    for (const key of ["min", "max"] as const) {
      if (typeof rule[key] === "number" && !Number.isInteger(rule[key])) errors.push(`${at}.${key} must be an integer`);
    }
    if (typeof rule.min === "number" && typeof rule.max === "number" && rule.min > rule.max) {
      errors.push(`${at}.min (${rule.min}) must not exceed ${at}.max (${rule.max})`);
    }
    if (targetValid && isUtilization(rule.target as SyncTarget) && typeof rule.max === "number" && rule.max > MAX_UTILIZATION_CAPACITY) {
      errors.push(`${at}.max (${rule.max}) exceeds ${MAX_UTILIZATION_CAPACITY}, the largest maximumCapacity Genesys accepts`);
    }
    if (rule.cooldownSeconds !== undefined) {
      const cooldown = rule.cooldownSeconds;
      if (typeof cooldown !== "number" || !Number.isInteger(cooldown) || cooldown < 0 || cooldown > 86_400) {
        errors.push(`${at}.cooldownSeconds must be an integer from 0 to 86400`);
      }
    }

    // Two rules writing one field would fight each other on every event.
    if (targetValid) {
      const key = targetFieldKey(rule.target as SyncTarget);
      if (fields.has(key)) errors.push(`${at}.target writes ${key}, already written by ${path}[${fields.get(key)}]`);
      else if (errors.length === before) fields.set(key, index);
    }
  });
  return errors;
}

function validateTarget(target: unknown, at: string, errors: string[]): boolean {
  const before = errors.length;
  if (!isRecord(target)) {
    errors.push(`${at} must be an object with kind "orgUtilization", "userUtilization" or "queueField"`);
    return false;
  }
  const mediaTypeOk = (value: unknown) => typeof value === "string" && (UTILIZATION_MEDIA_TYPES as readonly string[]).includes(value);
  switch (target.kind) {
    case "orgUtilization":
    case "userUtilization":
      checkKeys(target, target.kind === "orgUtilization" ? ["kind", "mediaType", "field"] : ["kind", "userId", "mediaType", "field"], at, errors);
      if (target.kind === "userUtilization" && (typeof target.userId !== "string" || !GENESYS_ID_PATTERN.test(target.userId))) {
        errors.push(`${at}.userId must be a Genesys user id`);
      }
      if (!mediaTypeOk(target.mediaType)) errors.push(`${at}.mediaType must be one of ${UTILIZATION_MEDIA_TYPES.join(", ")}`);
      if (target.field !== "maximumCapacity") errors.push(`${at}.field must be "maximumCapacity" (the only numeric utilization field)`);
      break;
    case "queueField":
      checkKeys(target, ["kind", "queueId", "field"], at, errors);
      if (typeof target.queueId !== "string" || !GENESYS_ID_PATTERN.test(target.queueId)) errors.push(`${at}.queueId must be a Genesys queue id`);
      if (typeof target.field !== "string" || !FIELD_PATH_PATTERN.test(target.field)) {
        errors.push(`${at}.field must be a field name or dotted path such as "acwSettings.timeoutMs"`);
      } else if (PROTECTED_QUEUE_FIELDS.has(target.field.split(".")[0]!)) {
        errors.push(`${at}.field "${target.field}" is an identity or server-managed queue field and cannot be synced`);
      }
      break;
    default:
      errors.push(`${at}.kind must be "orgUtilization", "userUtilization" or "queueField"`);
  }
  return errors.length === before;
}

function checkKeys(value: Record<string, unknown>, allowed: string[], at: string, errors: string[]): void {
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const match = closestMatch(key, allowed);
    errors.push(`${at}.${key} is not a known field (${match ? `did you mean "${match}"? ` : ""}expected ${allowed.join(", ")})`);
  }
}

/** Parses and validates rules from JSON (the SYNC_RULES variable); throws one error listing every problem. */
export function parseSyncRules(json: string, source = "SYNC_RULES"): SyncRule[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  const errors = validateSyncRules(parsed, source);
  if (errors.length) throw new Error(`${source} is invalid:\n- ${errors.join("\n- ")}`);
  return parsed as SyncRule[];
}

/**
 * The value a rule wants for `instanceCount` in-service instances:
 * clamp(floor(instanceCount x perInstance), min, max).
 * @example desiredValue({ ...rule, perInstance: 2, min: 1, max: 10 }, 7) // 10
 */
export function desiredValue(rule: Pick<SyncRule, "perInstance" | "min" | "max">, instanceCount: number): number {
  return clamp(Math.floor(instanceCount * rule.perInstance), rule.min, rule.max);
}

/** `value` limited to [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** True for utilization targets (bounded 0-25 by Genesys). */
export function isUtilization(target: SyncTarget): target is OrgUtilizationTarget | UserUtilizationTarget {
  return target.kind === "orgUtilization" || target.kind === "userUtilization";
}

/**
 * Identity of the Genesys object a target lives in: the SQS FIFO message group id.
 * Every rule writing one object shares it, so read-modify-write cycles on that object
 * never overlap (Genesys PUTs are full replaces without ETags). Valid as a
 * MessageGroupId (<= 128 characters of alphanumerics and punctuation).
 * @example messageGroupIdOf({ kind: "queueField", queueId: "q1", field: "acwSettings.timeoutMs" }) // "queue-q1"
 */
export function messageGroupIdOf(target: SyncTarget): string {
  switch (target.kind) {
    case "orgUtilization":
      return "utilization-org";
    case "userUtilization":
      return `utilization-user-${target.userId}`;
    case "queueField":
      return `queue-${target.queueId}`;
  }
}

/** Identity of the field a target writes (audit partition key): `<object>/<field path>`. */
export function targetFieldKey(target: SyncTarget): string {
  const path = isUtilization(target) ? `utilization.${target.mediaType}.${target.field}` : target.field;
  return `${messageGroupIdOf(target)}/${path}`;
}

/** Genesys API path of the object a target lives in. */
export function targetApiPath(target: SyncTarget): string {
  switch (target.kind) {
    case "orgUtilization":
      return "/api/v2/routing/utilization";
    case "userUtilization":
      return `/api/v2/routing/users/${encodeURIComponent(target.userId)}/utilization`;
    case "queueField":
      return `/api/v2/routing/queues/${encodeURIComponent(target.queueId)}`;
  }
}

/** Path of the target's field inside the GET/PUT body. */
export function targetFieldPath(target: SyncTarget): string[] {
  return isUtilization(target) ? ["utilization", target.mediaType, target.field] : target.field.split(".");
}

/**
 * What the infrastructure must wire for a set of rules: one EventBridge route per
 * (Auto Scaling group, message group), because an EventBridge SQS target carries a
 * static MessageGroupId. The reconciliation schedule needs one target per message group.
 */
export function syncRoutes(rules: readonly SyncRule[]): Array<{ autoScalingGroupName: string; messageGroupId: string; ruleNames: string[] }> {
  const routes = new Map<string, { autoScalingGroupName: string; messageGroupId: string; ruleNames: string[] }>();
  for (const rule of rules) {
    const messageGroupId = messageGroupIdOf(rule.target);
    const key = `${rule.source.autoScalingGroupName}\0${messageGroupId}`;
    const route = routes.get(key) ?? { autoScalingGroupName: rule.source.autoScalingGroupName, messageGroupId, ruleNames: [] };
    route.ruleNames.push(rule.name);
    routes.set(key, route);
  }
  return [...routes.values()];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
