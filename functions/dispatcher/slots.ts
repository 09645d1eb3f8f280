/**
 * The workflow's counting semaphore in DynamoDB (table SLOTS_TABLE_NAME): at most `limit`
 * interaction executions run at once, so a burst waits in SQS (cheap, visible, redrivable)
 * instead of in running executions whose throttle retries would run out.
 *
 * One item per slot, `{ pool, slot: "0000".."<limit-1>", holder, leaseExpiresAt }`, all in one
 * partition so one strongly consistent Query reads the pool:
 * - acquire: a conditional write that succeeds only if the slot has no holder or its lease
 *   has expired, setting `holder` = the execution name and a short pending lease;
 * - confirm: after StartExecution succeeded, the lease is extended past the longest an
 *   execution can run (condition: still the holder);
 * - release: `REMOVE holder` on condition that the holder is still that execution. The
 *   workflow does it on every exit path (state machine definition), the dispatcher does it
 *   for an execution that did not start (duplicate, refused input) and for executions that
 *   ended ABORTED / TIMED_OUT / FAILED (EventBridge "Execution Status Change").
 * A holder that died without releasing (dispatcher crash between acquire and start, a lost
 * release) loses the slot when its lease expires: nothing is leaked for good.
 */
import { QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dynamoDocumentClient, isConditionalCheckFailed } from "../shared/dynamodb";

/** Partition of the interaction workflow's slots. */
export const SLOT_POOL = "interaction-workflow";

/** A slot item as stored. */
export interface SlotItem {
  pool: string;
  slot: string;
  holder?: string;
  /** Epoch seconds. */
  leaseExpiresAt?: number;
}

/** The key of slot `index` ("0000", "0001", ...: strings, so the workflow passes them through unchanged). */
export function slotKey(index: number): string {
  return String(index).padStart(4, "0");
}

/** The semaphore of one pool. */
export class SlotPool {
  constructor(
    private readonly tableName: string,
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every slot item of the pool (strongly consistent). */
  async read(): Promise<SlotItem[]> {
    const items: SlotItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamoDocumentClient().send(
        new QueryCommand({
          TableName: this.tableName,
          // "pool" is a DynamoDB reserved word: always through a name placeholder.
          KeyConditionExpression: "#pool = :pool",
          ExpressionAttributeNames: { "#pool": "pool" },
          ExpressionAttributeValues: { ":pool": SLOT_POOL },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((page.Items ?? []) as SlotItem[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Slots of this pool (index < limit) that are free or whose lease expired. */
  async freeSlots(): Promise<string[]> {
    const nowSeconds = Math.floor(this.now() / 1000);
    const held = new Set((await this.read()).filter((i) => i.holder && (i.leaseExpiresAt ?? 0) > nowSeconds).map((i) => i.slot));
    return Array.from({ length: this.limit }, (_, i) => slotKey(i)).filter((slot) => !held.has(slot));
  }

  /**
   * Acquires one slot per holder, as many as are free, in the given order.
   * @returns the slot of each holder that got one
   */
  async acquire(holders: string[], pendingLeaseSeconds: number): Promise<Map<string, string>> {
    const granted = new Map<string, string>();
    if (!holders.length) return granted;
    const candidates = shuffle(await this.freeSlots());
    for (const holder of holders) {
      // A slot refused here was taken by a concurrent dispatcher since the read: try the next.
      while (candidates.length && !granted.has(holder)) {
        const slot = candidates.pop()!;
        if (await this.take(slot, holder, pendingLeaseSeconds)) granted.set(holder, slot);
      }
      if (!granted.has(holder)) break;
    }
    return granted;
  }

  /** Extends the lease of `holder` on `slot` (after its execution started). False if it lost the slot. */
  async confirm(slot: string, holder: string, leaseSeconds: number): Promise<boolean> {
    return this.conditionalUpdate(slot, "SET leaseExpiresAt = :lease", "holder = :holder", {
      ":holder": holder,
      ":lease": Math.floor(this.now() / 1000) + leaseSeconds,
    });
  }

  /** Frees `slot` if `holder` still holds it. False if it did not (already released or reclaimed). */
  async release(slot: string, holder: string): Promise<boolean> {
    return this.conditionalUpdate(slot, "REMOVE holder, leaseExpiresAt", "holder = :holder", { ":holder": holder });
  }

  /** Frees every slot `holder` holds (it does not know which): the path of executions that ended without releasing. */
  async releaseHeldBy(holder: string): Promise<string[]> {
    const released: string[] = [];
    for (const item of await this.read()) {
      if (item.holder === holder && (await this.release(item.slot, holder))) released.push(item.slot);
    }
    return released;
  }

  private async take(slot: string, holder: string, leaseSeconds: number): Promise<boolean> {
    const nowSeconds = Math.floor(this.now() / 1000);
    return this.conditionalUpdate(
      slot,
      "SET holder = :holder, leaseExpiresAt = :lease, acquiredAt = :now",
      "attribute_not_exists(holder) OR leaseExpiresAt <= :now",
      { ":holder": holder, ":lease": nowSeconds + leaseSeconds, ":now": nowSeconds },
    );
  }

  private async conditionalUpdate(slot: string, update: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await dynamoDocumentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pool: SLOT_POOL, slot },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
