/**
 * The `adjustTableCapacity` action: sets a provisioned table's read/write capacity
 * from a webhook signal, within the action's bounds.
 *
 * "Never below what the table consumes": consumption is a CloudWatch metric
 * (ConsumedRead/WriteCapacityUnits), which would add a client, an IAM grant and a
 * stand-in. Instead DescribeTable's current provisioned capacity is the reference and
 * one change may remove at most `maxDecreasePercent` of it (default 50%): capacity
 * steps down gradually, bounded by `min`, and each step waits out the cooldown.
 * Global secondary indexes keep their own capacity (not changed here).
 */
import { DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from "@aws-sdk/client-dynamodb";
import { DEFAULT_MAX_DECREASE_PERCENT, targetCapacity, type AdjustTableCapacityAction } from "../shared/webhook-actions";

/** What applying the action did (or would not do). */
export type CapacityOutcome =
  | { outcome: "onDemand" }
  | { outcome: "unchanged"; readCapacityUnits: number; writeCapacityUnits: number }
  | { outcome: "applied"; from: { readCapacityUnits: number; writeCapacityUnits: number }; readCapacityUnits: number; writeCapacityUnits: number };

/** The table cannot take a change now (updating, or DynamoDB's decrease quota): retry later. */
export class TableBusyError extends Error {
  override readonly name = "TableBusyError";
}

/** Reads and changes table capacity. */
export class TableCapacity {
  constructor(private readonly client: DynamoDBClient = new DynamoDBClient({})) {}

  /** Computes the target capacity for `signal` and applies it when it differs. */
  async adjust(action: AdjustTableCapacityAction, signal: number): Promise<CapacityOutcome> {
    const { Table: table } = await this.client.send(new DescribeTableCommand({ TableName: action.tableName }));
    if (!table) throw new Error(`table ${action.tableName} has no description`);
    if (table.BillingModeSummary?.BillingMode === "PAY_PER_REQUEST") return { outcome: "onDemand" };
    if (table.TableStatus !== "ACTIVE") throw new TableBusyError(`table ${action.tableName} is ${table.TableStatus}`);

    const current = {
      readCapacityUnits: table.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
      writeCapacityUnits: table.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
    };
    const maxDecrease = action.maxDecreasePercent ?? DEFAULT_MAX_DECREASE_PERCENT;
    const next = {
      readCapacityUnits: action.readCapacity ? targetCapacity(action.readCapacity, signal, current.readCapacityUnits, maxDecrease) : current.readCapacityUnits,
      writeCapacityUnits: action.writeCapacity ? targetCapacity(action.writeCapacity, signal, current.writeCapacityUnits, maxDecrease) : current.writeCapacityUnits,
    };
    // DynamoDB refuses an update that changes nothing.
    if (next.readCapacityUnits === current.readCapacityUnits && next.writeCapacityUnits === current.writeCapacityUnits) {
      return { outcome: "unchanged", ...current };
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
    return { outcome: "applied", from: current, ...next };
  }
}
