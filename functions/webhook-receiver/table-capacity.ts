/**
 * The `adjustTableCapacity` action: sets a provisioned table's read/write capacity
 * from a webhook signal, within the action's bounds, never below what the table
 * consumes.
 *
 * The change goes through Application Auto Scaling, not DynamoDB: the receiver pins
 * the table's scalable target (registered by the stack, tagged for this receiver) to
 * [target, target] with RegisterScalableTarget, and Application Auto Scaling moves the
 * table's capacity into that range through its service-linked role. The receiver so
 * holds no dynamodb:UpdateTable, which would also allow turning off deletion
 * protection, changing streams or encryption and deleting indexes: its only write
 * permission changes throughput. DescribeTable (read-only) still tells the billing
 * mode, the status and the capacity now.
 *
 * Consumption comes from CloudWatch (table-consumption.ts): the busiest minute of the
 * last `consumptionWindowMinutes` plus `consumptionHeadroomPercent` is each managed
 * dimension's floor, and targetCapacity (shared/webhook-actions.ts) never decreases
 * below it. If CloudWatch cannot answer, nothing changes: the read throws
 * ConsumptionUnavailableError and the caller retries the event later. On-demand
 * tables are left alone without asking CloudWatch. Global secondary indexes keep
 * their own capacity (not changed here).
 */
import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from "@aws-sdk/client-application-auto-scaling";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  consumptionFloor,
  DEFAULT_CONSUMPTION_HEADROOM_PERCENT,
  DEFAULT_CONSUMPTION_WINDOW_MINUTES,
  DEFAULT_MAX_DECREASE_PERCENT,
  SCALABLE_DIMENSIONS,
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

/** The table cannot take a change now (updating, a concurrent scaling change, throttling): retry later. */
export class TableBusyError extends Error {
  override readonly name = "TableBusyError";
}

/** Errors after which the same change may succeed later. */
const RETRYABLE_SCALING_ERRORS = new Set([
  "ConcurrentUpdateException",
  "LimitExceededException",
  "InternalServiceException",
  "ThrottlingException",
  "TooManyRequestsException",
]);

/** Reads and changes table capacity. */
export class TableCapacity {
  constructor(
    private readonly consumption: TableConsumptionReader,
    private readonly client: DynamoDBClient = new DynamoDBClient({}),
    private readonly scaling: ApplicationAutoScalingClient = new ApplicationAutoScalingClient({}),
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
    if (next.readCapacityUnits === current.readCapacityUnits && next.writeCapacityUnits === current.writeCapacityUnits) {
      return { outcome: "unchanged", ...current, floors };
    }
    for (const dimension of ["readCapacityUnits", "writeCapacityUnits"] as const) {
      if (next[dimension] !== current[dimension]) await this.pin(action.tableName, dimension, next[dimension]);
    }
    return { outcome: "applied", from: current, ...next, floors };
  }

  /** Pins one dimension's scalable target to [units, units]; Application Auto Scaling then moves the table there. */
  private async pin(tableName: string, dimension: keyof typeof SCALABLE_DIMENSIONS, units: number): Promise<void> {
    try {
      await this.scaling.send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: "dynamodb",
          ResourceId: `table/${tableName}`,
          ScalableDimension: SCALABLE_DIMENSIONS[dimension],
          MinCapacity: units,
          MaxCapacity: units,
        }),
      );
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (RETRYABLE_SCALING_ERRORS.has(error.name) || status === 429 || (status !== undefined && status >= 500)) {
        throw new TableBusyError(`table ${tableName} ${SCALABLE_DIMENSIONS[dimension]}: ${error.name}: ${error.message}`);
      }
      if (error.name === "AccessDeniedException") {
        throw new Error(
          `table ${tableName} has no scalable target for ${SCALABLE_DIMENSIONS[dimension]} that this receiver may adjust: ` +
            `the stack registers one per configured table and dimension (${error.name}: ${error.message})`,
        );
      }
      throw error;
    }
  }
}

let probeClient: ApplicationAutoScalingClient | undefined;

/**
 * Self-test probe of the capacity path: makes the change the receiver makes, as a no-op,
 * so the service runs its permission check (IAM, the receiver's tag condition, the
 * target's existence) without moving capacity. For each dimension the action manages,
 * RegisterScalableTarget names the target and nothing else: "any parameters that you
 * don't specify are not changed by this update request"
 * (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html).
 * The same page says an update brings a capacity that is outside the target's range back
 * into it: only a table someone moved outside its pinned range changes, to where the
 * receiver had put it. The only function to adapt if the capacity path changes
 * (webhook-receiver/self-test.ts calls nothing else of this module).
 * @throws the service's error (AccessDeniedException, ValidationException, ...) as the SDK raises it
 */
export async function probeCapacityChange(action: AdjustTableCapacityAction, signal?: AbortSignal): Promise<void> {
  probeClient ??= new ApplicationAutoScalingClient({});
  const scaling = probeClient;
  const dimensions = (["readCapacityUnits", "writeCapacityUnits"] as const).filter((d) => (d === "readCapacityUnits" ? action.readCapacity : action.writeCapacity));
  for (const dimension of dimensions) {
    await scaling.send(
      new RegisterScalableTargetCommand({ ServiceNamespace: "dynamodb", ResourceId: `table/${action.tableName}`, ScalableDimension: SCALABLE_DIMENSIONS[dimension] }),
      { abortSignal: signal },
    );
  }
}
