/**
 * The `adjustTableCapacity` action: sets a provisioned table's read/write capacity
 * from a webhook signal, within the action's bounds, never below what the table
 * consumes.
 *
 * The change is one `dynamodb:UpdateTable` call that sets `ProvisionedThroughput` and
 * nothing else. The receiver's role holds `UpdateTable` and `DescribeTable` on the
 * configured tables only. Application Auto Scaling is not used: it validates that its
 * caller may itself call `dynamodb:UpdateTable` and the CloudWatch alarm actions before
 * it accepts `RegisterScalableTarget`, so going through it needs strictly more
 * permissions than calling `UpdateTable` directly (docs/security.md, "Webhook receiver:
 * power over a table").
 *
 * Consumption comes from CloudWatch (table-consumption.ts): the busiest minute of the
 * last `consumptionWindowMinutes` plus `consumptionHeadroomPercent` is each managed
 * dimension's floor, and targetCapacity (shared/webhook-actions.ts) never decreases
 * below it. If CloudWatch cannot answer, nothing changes: the read throws
 * ConsumptionUnavailableError and the caller retries the event later. On-demand
 * tables are left alone without asking CloudWatch. Global secondary indexes keep
 * their own capacity (not changed here).
 *
 * `probe` exercises the same permissions without changing anything, for a live
 * self-test of a deployed receiver.
 */
import { DescribeTableCommand, DynamoDBClient, UpdateTableCommand, type TableDescription } from "@aws-sdk/client-dynamodb";
import {
  consumptionFloor,
  DEFAULT_CONSUMPTION_HEADROOM_PERCENT,
  DEFAULT_CONSUMPTION_WINDOW_MINUTES,
  DEFAULT_MAX_DECREASE_PERCENT,
  targetCapacity,
  type AdjustTableCapacityAction,
} from "../shared/webhook-actions";
import type { TableConsumptionReader } from "./table-consumption";

/** Capacity units a dimension must keep to serve what the table consumes. */
export interface ConsumptionFloors {
  readCapacityUnits: number;
  writeCapacityUnits: number;
}

/** What applying the action did (or would not do). */
export type CapacityOutcome =
  | { outcome: "onDemand" }
  | { outcome: "unchanged"; readCapacityUnits: number; writeCapacityUnits: number; floors: ConsumptionFloors }
  | {
      outcome: "applied";
      from: { readCapacityUnits: number; writeCapacityUnits: number };
      readCapacityUnits: number;
      writeCapacityUnits: number;
      floors: ConsumptionFloors;
    };

/**
 * What a probe found. `permitted` means DynamoDB authorized an `UpdateTable` of the
 * table (it then refused the request itself because nothing would change).
 */
export type ProbeOutcome =
  | { outcome: "permitted"; readCapacityUnits: number; writeCapacityUnits: number }
  /** On-demand tables are never updated, so only DescribeTable and GetMetricData were exercised. */
  | { outcome: "onDemand" }
  /** The table is being updated; UpdateTable was not sent (it could race the change). */
  | { outcome: "busy"; tableStatus: string }
  | { outcome: "denied"; error: string };

/** The table cannot take a change now (updating, throttling, a table-operation quota): retry later. */
export class TableBusyError extends Error {
  override readonly name = "TableBusyError";
}

/** Errors after which the same change may succeed later. */
const RETRYABLE_UPDATE_ERRORS = new Set([
  // The table (or an index) is being updated: one UpdateTable at a time.
  "ResourceInUseException",
  // Too many concurrent table operations, or the day's decrease quota: a later retry may pass.
  "LimitExceededException",
  "InternalServerError",
  "ThrottlingException",
  "RequestLimitExceeded",
]);

/**
 * DynamoDB's answer to an UpdateTable that would not change the provisioned throughput.
 * The API reference does not list it; the service answers it (400 ValidationException,
 * "The provisioned throughput for the table will not change...") and dynalite does too.
 */
const UNCHANGED_THROUGHPUT = /provisioned throughput for the table will not change/i;

/** Reads and changes table capacity. */
export class TableCapacity {
  constructor(
    private readonly consumption: TableConsumptionReader,
    private readonly client: DynamoDBClient = new DynamoDBClient({}),
  ) {}

  /**
   * Computes the target capacity for `signal` and applies it when it differs.
   * @throws TableBusyError the table cannot change now
   * @throws ConsumptionUnavailableError CloudWatch could not say what the table consumes
   */
  async adjust(action: AdjustTableCapacityAction, signal: number, now = Date.now()): Promise<CapacityOutcome> {
    let table: TableDescription;
    try {
      table = await this.describe(action.tableName);
    } catch (error) {
      throw explain(error, action.tableName);
    }
    if (table.BillingModeSummary?.BillingMode === "PAY_PER_REQUEST") return { outcome: "onDemand" };
    if (table.TableStatus !== "ACTIVE") throw new TableBusyError(`table ${action.tableName} is ${table.TableStatus}`);

    const current = throughputOf(table);
    const used = await this.consumption.read(action.tableName, action.consumptionWindowMinutes ?? DEFAULT_CONSUMPTION_WINDOW_MINUTES, now);
    const headroom = action.consumptionHeadroomPercent ?? DEFAULT_CONSUMPTION_HEADROOM_PERCENT;
    const floors = { readCapacityUnits: consumptionFloor(used.readPerSecond, headroom), writeCapacityUnits: consumptionFloor(used.writePerSecond, headroom) };
    const maxDecrease = action.maxDecreasePercent ?? DEFAULT_MAX_DECREASE_PERCENT;
    const next = {
      readCapacityUnits: action.readCapacity
        ? targetCapacity(action.readCapacity, signal, current.readCapacityUnits, floors.readCapacityUnits, maxDecrease)
        : current.readCapacityUnits,
      writeCapacityUnits: action.writeCapacity
        ? targetCapacity(action.writeCapacity, signal, current.writeCapacityUnits, floors.writeCapacityUnits, maxDecrease)
        : current.writeCapacityUnits,
    };
    if (next.readCapacityUnits === current.readCapacityUnits && next.writeCapacityUnits === current.writeCapacityUnits) {
      return { outcome: "unchanged", ...current, floors };
    }
    try {
      await this.setThroughput(action.tableName, next);
    } catch (error) {
      throw explain(error, action.tableName);
    }
    return { outcome: "applied", from: current, ...next, floors };
  }

  /**
   * Exercises every permission `adjust` needs, changing nothing: DescribeTable, the
   * CloudWatch consumption read, then an UpdateTable that asks for the throughput the
   * table has now. IAM authorizes a request before the service validates it, so DynamoDB
   * either refuses it as a non-change (the permission holds: `permitted`) or answers
   * AccessDeniedException (`denied`). This is the pattern Application Auto Scaling
   * documents for its own permission checks (a request that the service rejects after
   * authorization). UpdateTable is not sent while the table is not ACTIVE (a change is
   * under way); a capacity that another caller changes between the two calls would be set
   * back to what the describe read, which is why the receiver must be the table's only
   * capacity manager (docs/pipelines.md).
   * @throws ConsumptionUnavailableError CloudWatch could not answer
   */
  async probe(tableName: string, windowMinutes = DEFAULT_CONSUMPTION_WINDOW_MINUTES, now = Date.now()): Promise<ProbeOutcome> {
    let table: TableDescription;
    try {
      table = await this.describe(tableName);
    } catch (error) {
      if (isAccessDenied(error)) return { outcome: "denied", error: `${error.name}: ${error.message}` };
      throw error;
    }
    await this.consumption.read(tableName, windowMinutes, now);
    if (table.BillingModeSummary?.BillingMode === "PAY_PER_REQUEST") return { outcome: "onDemand" };
    if (table.TableStatus !== "ACTIVE") return { outcome: "busy", tableStatus: String(table.TableStatus) };
    const current = throughputOf(table);
    try {
      await this.setThroughput(tableName, current);
    } catch (error) {
      if (error instanceof Error && error.name === "ValidationException" && UNCHANGED_THROUGHPUT.test(error.message)) return { outcome: "permitted", ...current };
      if (isAccessDenied(error)) return { outcome: "denied", error: `${error.name}: ${error.message}` };
      throw explain(error, tableName);
    }
    // Accepted: the capacity moved between DescribeTable and UpdateTable, and was set back.
    throw new Error(`probe of table ${tableName}: UpdateTable was accepted, so its capacity changed while probing; it is again ${current.readCapacityUnits}/${current.writeCapacityUnits}`);
  }

  private async describe(tableName: string): Promise<TableDescription> {
    const { Table: table } = await this.client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!table) throw new Error(`table ${tableName} has no description`);
    return table;
  }

  /** Sets the table's own provisioned throughput: the only parameter this function ever sends to UpdateTable. */
  private async setThroughput(tableName: string, units: { readCapacityUnits: number; writeCapacityUnits: number }): Promise<void> {
    await this.client.send(
      new UpdateTableCommand({
        TableName: tableName,
        ProvisionedThroughput: { ReadCapacityUnits: units.readCapacityUnits, WriteCapacityUnits: units.writeCapacityUnits },
      }),
    );
  }
}

function throughputOf(table: TableDescription): { readCapacityUnits: number; writeCapacityUnits: number } {
  return {
    readCapacityUnits: table.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
    writeCapacityUnits: table.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
  };
}

function isAccessDenied(error: unknown): error is Error {
  return error instanceof Error && error.name === "AccessDeniedException";
}

/** A retryable DynamoDB error as TableBusyError, a refused one with what to check; others as they are. */
function explain(error: unknown, tableName: string): unknown {
  if (!(error instanceof Error)) return error;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (RETRYABLE_UPDATE_ERRORS.has(error.name) || status === 429 || (status !== undefined && status >= 500)) {
    return new TableBusyError(`table ${tableName}: ${error.name}: ${error.message}`);
  }
  if (isAccessDenied(error)) {
    return new Error(
      `this receiver may not use table ${tableName}: the stack grants dynamodb:DescribeTable and dynamodb:UpdateTable only on the tables of the configured actions (${error.name}: ${error.message})`,
    );
  }
  return error;
}
