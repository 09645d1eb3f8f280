/**
 * Declarative actions the webhook receiver may apply (Genesys -> AWS), with their
 * validation and arithmetic. The caller only names an action and sends a number (the
 * `signal`); what it may change, and within which bounds, is fixed here by the
 * environment config (WEBHOOK_ACTIONS, JSON, not secret).
 *
 * One action type ships: `adjustTableCapacity`, which sets a provisioned DynamoDB
 * table's read/write capacity to `ceil(signal x perSignal)` clamped to [min, max],
 * never dropping more than `maxDecreasePercent` of the current capacity in one step,
 * at most once per cooldown; on-demand tables are left alone.
 *
 * @example
 * const action: WebhookAction = {
 *   name: "orders-table-follows-queue", type: "adjustTableCapacity", tableName: "orders",
 *   readCapacity: { perSignal: 2, min: 5, max: 200 }, writeCapacity: { perSignal: 1, min: 5, max: 100 },
 *   cooldownSeconds: 300,
 * };
 */
import { clamp } from "./sync-rules";

/** Bounds of one capacity dimension. */
export interface CapacityScaling {
  /** Capacity units per unit of the webhook's `signal`. */
  perSignal: number;
  /** Lowest capacity ever set (>= 1). */
  min: number;
  /** Highest capacity ever set. */
  max: number;
}

/** Keep a provisioned DynamoDB table's capacity in step with a Genesys signal. */
export interface AdjustTableCapacityAction {
  /** Name the webhook payload's `action` field refers to. */
  name: string;
  type: "adjustTableCapacity";
  /** The table to adjust (same account and region). */
  tableName: string;
  /** Read capacity scaling. @default read capacity is not changed */
  readCapacity?: CapacityScaling;
  /** Write capacity scaling. @default write capacity is not changed */
  writeCapacity?: CapacityScaling;
  /** Minimum time between two applied changes. @default 300 */
  cooldownSeconds?: number;
  /**
   * Largest share of the current capacity one change may remove. Stands in for "never
   * below what the table consumes", which needs CloudWatch metrics. @default 50
   */
  maxDecreasePercent?: number;
}

/** Every action type (one today). */
export type WebhookAction = AdjustTableCapacityAction;

/** Default cooldown of {@link AdjustTableCapacityAction}. */
export const DEFAULT_CAPACITY_COOLDOWN_SECONDS = 300;
/** Default of {@link AdjustTableCapacityAction.maxDecreasePercent}. */
export const DEFAULT_MAX_DECREASE_PERCENT = 50;
/** DynamoDB's default per-table quota of read or write capacity units. */
export const MAX_TABLE_CAPACITY_UNITS = 40_000;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TABLE_NAME_PATTERN = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * Validates webhook actions (parsed WEBHOOK_ACTIONS or the typed environment config);
 * returns one message per problem naming the field. Empty means valid.
 */
export function validateWebhookActions(actions: unknown, path: string): string[] {
  if (!Array.isArray(actions)) return [`${path} must be an array of webhook actions`];
  const errors: string[] = [];
  const names = new Map<string, number>();
  actions.forEach((action, index) => {
    const at = `${path}[${index}]`;
    if (typeof action !== "object" || action === null || Array.isArray(action)) {
      errors.push(`${at} must be an object`);
      return;
    }
    const a = action as Record<string, unknown>;
    const allowed = ["name", "type", "tableName", "readCapacity", "writeCapacity", "cooldownSeconds", "maxDecreasePercent"];
    for (const key of Object.keys(a)) if (!allowed.includes(key)) errors.push(`${at}.${key} is not a known field (expected ${allowed.join(", ")})`);
    if (typeof a.name !== "string" || !NAME_PATTERN.test(a.name)) {
      errors.push(`${at}.name must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`);
    } else if (names.has(a.name)) {
      errors.push(`${at}.name "${a.name}" is already used by ${path}[${names.get(a.name)}]`);
    } else {
      names.set(a.name, index);
    }
    if (a.type !== "adjustTableCapacity") errors.push(`${at}.type must be "adjustTableCapacity"`);
    if (typeof a.tableName !== "string" || !TABLE_NAME_PATTERN.test(a.tableName)) {
      errors.push(`${at}.tableName must be a DynamoDB table name (3-255 characters of letters, digits, '_', '-', '.')`);
    }
    if (a.readCapacity === undefined && a.writeCapacity === undefined) errors.push(`${at} must set readCapacity, writeCapacity or both`);
    for (const dimension of ["readCapacity", "writeCapacity"] as const) {
      if (a[dimension] !== undefined) validateScaling(a[dimension], `${at}.${dimension}`, errors);
    }
    if (a.cooldownSeconds !== undefined && !(isInteger(a.cooldownSeconds) && a.cooldownSeconds >= 0 && a.cooldownSeconds <= 86_400)) {
      errors.push(`${at}.cooldownSeconds must be an integer from 0 to 86400`);
    }
    if (a.maxDecreasePercent !== undefined && !(isInteger(a.maxDecreasePercent) && a.maxDecreasePercent >= 1 && a.maxDecreasePercent <= 100)) {
      errors.push(`${at}.maxDecreasePercent must be an integer from 1 to 100`);
    }
  });
  return errors;
}

function validateScaling(value: unknown, at: string, errors: string[]): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    errors.push(`${at} must be an object like { "perSignal": 1, "min": 5, "max": 100 }`);
    return;
  }
  const s = value as Record<string, unknown>;
  for (const key of Object.keys(s)) if (!["perSignal", "min", "max"].includes(key)) errors.push(`${at}.${key} is not a known field (expected perSignal, min, max)`);
  if (typeof s.perSignal !== "number" || !Number.isFinite(s.perSignal) || s.perSignal < 0) errors.push(`${at}.perSignal must be a finite number >= 0`);
  for (const key of ["min", "max"] as const) {
    if (!isInteger(s[key]) || (s[key] as number) < 1 || (s[key] as number) > MAX_TABLE_CAPACITY_UNITS) {
      errors.push(`${at}.${key} must be an integer from 1 to ${MAX_TABLE_CAPACITY_UNITS} (DynamoDB capacity units)`);
    }
  }
  if (isInteger(s.min) && isInteger(s.max) && s.min > s.max) errors.push(`${at}.min (${s.min}) must not exceed ${at}.max (${s.max})`);
}

/** Parses and validates WEBHOOK_ACTIONS; throws one error listing every problem. */
export function parseWebhookActions(json: string, source = "WEBHOOK_ACTIONS"): WebhookAction[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  const errors = validateWebhookActions(parsed, source);
  if (errors.length) throw new Error(`${source} is invalid:\n- ${errors.join("\n- ")}`);
  return parsed as WebhookAction[];
}

/**
 * Capacity one dimension should get for `signal`, given the table's `current`
 * capacity: ceil(signal x perSignal), raised to the step-down floor
 * (current x (1 - maxDecreasePercent/100), rounded up), then clamped to [min, max].
 * @example targetCapacity({ perSignal: 2, min: 5, max: 100 }, 30, 10, 50) // 60
 */
export function targetCapacity(scaling: CapacityScaling, signal: number, current: number, maxDecreasePercent = DEFAULT_MAX_DECREASE_PERCENT): number {
  const wanted = Math.ceil(signal * scaling.perSignal);
  const stepFloor = Math.ceil(current * (1 - maxDecreasePercent / 100));
  return clamp(Math.max(wanted, stepFloor), scaling.min, scaling.max);
}

function isInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}
