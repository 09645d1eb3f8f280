/**
 * Declarative actions the webhook receiver may apply (Genesys -> AWS), with their
 * validation and arithmetic. The caller only names an action and sends a number (the
 * `signal`); what it may change, and within which bounds, is fixed here by the
 * environment config (WEBHOOK_ACTIONS, JSON, not secret).
 *
 * One action type ships: `adjustTableCapacity`, which sets a provisioned DynamoDB
 * table's read/write capacity to `ceil(signal x perSignal)` clamped to [min, max],
 * never below what the table consumes (see {@link targetCapacity}), at most once per
 * cooldown; on-demand tables are left alone.
 *
 * @example
 * const action: WebhookAction = {
 *   name: "orders-table-follows-queue", type: "adjustTableCapacity", tableName: "orders",
 *   readCapacity: { perSignal: 2, min: 5, max: 200 }, writeCapacity: { perSignal: 1, min: 5, max: 100 },
 *   cooldownSeconds: 300,
 * };
 */
import { clamp } from "./sync-rules";
import { unknownFieldError } from "./suggest";

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
   * Largest share of the current capacity one change may remove, to scale down in
   * steps. Optional: the consumption floor already keeps capacity above what the
   * table uses, and DynamoDB allows only a few decreases per table per day.
   * @default 100 (no step limit)
   */
  maxDecreasePercent?: number;
  /**
   * Minutes of recent consumption (CloudWatch, 1-minute sums) the floor is taken from:
   * the busiest minute in the window counts. @default 15
   */
  consumptionWindowMinutes?: number;
  /** Margin added to the busiest minute's consumption to form the floor. @default 20 */
  consumptionHeadroomPercent?: number;
}

/** Every action type (one today). */
export type WebhookAction = AdjustTableCapacityAction;

/** Default cooldown of {@link AdjustTableCapacityAction}. */
export const DEFAULT_CAPACITY_COOLDOWN_SECONDS = 300;
/** Default of {@link AdjustTableCapacityAction.maxDecreasePercent}: no step limit. */
export const DEFAULT_MAX_DECREASE_PERCENT = 100;
/**
 * Default of {@link AdjustTableCapacityAction.consumptionWindowMinutes}: long enough to
 * cover CloudWatch's few minutes of publishing delay and a recent burst, short enough
 * that capacity can follow a real drop in traffic.
 */
export const DEFAULT_CONSUMPTION_WINDOW_MINUTES = 15;
/** Default of {@link AdjustTableCapacityAction.consumptionHeadroomPercent}. */
export const DEFAULT_CONSUMPTION_HEADROOM_PERCENT = 20;
/** Longest {@link AdjustTableCapacityAction.consumptionWindowMinutes} (a day). */
export const MAX_CONSUMPTION_WINDOW_MINUTES = 1440;
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
    const allowed = [
      "name",
      "type",
      "tableName",
      "readCapacity",
      "writeCapacity",
      "cooldownSeconds",
      "maxDecreasePercent",
      "consumptionWindowMinutes",
      "consumptionHeadroomPercent",
    ];
    for (const key of Object.keys(a)) if (!allowed.includes(key)) errors.push(unknownFieldError(at, key, allowed));
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
    const window = a.consumptionWindowMinutes;
    if (window !== undefined && !(isInteger(window) && window >= 1 && window <= MAX_CONSUMPTION_WINDOW_MINUTES)) {
      errors.push(`${at}.consumptionWindowMinutes must be an integer from 1 to ${MAX_CONSUMPTION_WINDOW_MINUTES}`);
    }
    const headroom = a.consumptionHeadroomPercent;
    if (headroom !== undefined && !(isInteger(headroom) && headroom >= 0 && headroom <= 1000)) {
      errors.push(`${at}.consumptionHeadroomPercent must be an integer from 0 to 1000`);
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
  const scalingKeys = ["perSignal", "min", "max"];
  for (const key of Object.keys(s)) if (!scalingKeys.includes(key)) errors.push(unknownFieldError(at, key, scalingKeys));
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
 * The capacity one dimension must keep to serve what the table consumes:
 * ceil(busiest per-second consumption x (1 + headroomPercent/100)). `perSecond` holds
 * one value per minute of the window (CloudWatch Sum / 60); no values (no traffic) is 0.
 * @example consumptionFloor([10, 41.5, 30], 20) // 50 (41.5 x 1.2 = 49.8, rounded up)
 */
export function consumptionFloor(perSecond: readonly number[], headroomPercent = DEFAULT_CONSUMPTION_HEADROOM_PERCENT): number {
  const busiest = perSecond.reduce((peak, value) => Math.max(peak, value), 0);
  // Rounded to 6 decimals first so float noise (e.g. 0.1 x 3) does not add a unit.
  return Math.ceil(Number((busiest * (1 + headroomPercent / 100)).toFixed(6)));
}

/**
 * Capacity one dimension should get for `signal`, given the table's `current`
 * capacity and its consumption `floor` ({@link consumptionFloor}):
 *
 *   target = clamp(max(ceil(signal x perSignal), floor, stepFloor), min, max)
 *   where stepFloor = ceil(current x (1 - maxDecreasePercent/100))
 *
 * then, when target is below `current` (a decrease), it is raised to
 * min(floor, current): a decrease never goes below what the table consumes, even when
 * `max` is lower than that (capacity then stays between `max` and `current`, moving
 * down only to the floor). An increase never goes beyond `max`, even when the table
 * consumes more: `max` is the operator's cost bound.
 * @example targetCapacity({ perSignal: 2, min: 5, max: 100 }, 5, 80, 30) // 30 (not 10)
 */
export function targetCapacity(
  scaling: CapacityScaling,
  signal: number,
  current: number,
  floor: number,
  maxDecreasePercent = DEFAULT_MAX_DECREASE_PERCENT,
): number {
  const wanted = Math.ceil(signal * scaling.perSignal);
  const stepFloor = Math.ceil(current * (1 - maxDecreasePercent / 100));
  const target = clamp(Math.max(wanted, floor, stepFloor), scaling.min, scaling.max);
  return target < current ? Math.max(target, Math.min(floor, current)) : target;
}

function isInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}
