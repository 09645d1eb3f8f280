/**
 * The `adjustTableCapacity` action: sets a provisioned table's read/write capacity
 * from a webhook signal, within the action's bounds, never below what the table
 * consumes.
 *
 * Consumption comes from CloudWatch (table-consumption.ts): the busiest minute of the
 * last `consumptionWindowMinutes` plus `consumptionHeadroomPercent` is each managed
 * dimension's floor, and targetCapacity (shared/webhook-actions.ts) never decreases
 * below it. If CloudWatch cannot answer, nothing changes: the read throws
 * ConsumptionUnavailableError and the caller retries the event later. On-demand
 * tables are left alone without asking CloudWatch. Global secondary indexes keep
 * their own capacity (not changed here).
 */
import { DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from "@aws-sdk/client-dynamodb";
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

/** The table cannot take a change now (updating, or DynamoDB's decrease quota): retry later. */
export class TableBusyError extends Error {
  override readonly name = "TableBusyError";
}

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
    const { Table: table } = await this.client.send(new DescribeTableCommand({ TableName: action.tableName }));
    if (!table) throw new Error(`table ${action.tableName} has no description`);
    if (table.BillingModeSummary?.BillingMode === "PAY_PER_REQUEST") return { outcome: "onDemand" };
    if (table.TableStatus !== "ACTIVE") throw new TableBusyError(`table ${action.tableName} is ${table.TableStatus}`);

    const current = {
      readCapacityUnits: table.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
      writeCapacityUnits: table.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
    };
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
    // DynamoDB refuses an update that changes nothing.
    if (next.readCapacityUnits === current.readCapacityUnits && next.writeCapacityUnits === current.writeCapacityUnits) {
      return { outcome: "unchanged", ...current, floors };
    }
    try {
      await this.client.send(
        new UpdateTableCommand({
          TableName: action.tableName,
          ProvisionedThroughput: { ReadCapacityUnits: next.readCapacityUnits, WriteCapacityUnits: next.writeCapacityUnits },
        }),
      );
    } catch (error) {
      if (error instanceof Error && (error.name === "ResourceInUseException" || error.name === "LimitExceededException")) {
        throw new TableBusyError(`table ${action.tableName}: ${error.name}: ${error.message}`);
      }
      throw error;
    }
    return { outcome: "applied", from: current, ...next, floors };
  }
}
