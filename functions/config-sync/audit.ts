/**
 * The audit table: one item per change config-sync decides to make in Genesys.
 *
 * Key: `targetField` (partition, e.g. `queue-q1/acwSettings.timeoutMs`) and `changeId`
 * (sort, `<event time>#<event id>`). A field's history reads in event-time order, and a
 * redelivered message (same event id, same time) maps to the same key, so the
 * conditional put (`attribute_not_exists`) can never create a second item for it.
 *
 * Lifecycle: `pending` (written before the Genesys PUT: the intent, with the old and
 * new value) -> `applied` (after the PUT). A crash in between leaves `pending`; the
 * redelivery either finishes the PUT or, finding Genesys already at the new value,
 * marks the item applied. An item still `pending` after its message reached the DLQ
 * reads "decided, outcome unknown".
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../shared/dynamodb";
import type { SyncTarget } from "../shared/sync-rules";

/** Key of one audit item. */
export interface ChangeKey {
  targetField: string;
  changeId: string;
}

/** One audit item. */
export interface ChangeRecord extends ChangeKey {
  status: "pending" | "applied";
  rule: string;
  target: SyncTarget;
  oldValue: number;
  newValue: number;
  /** What caused it: the trigger kind, detail-type, event id and Auto Scaling details. */
  cause: Record<string, string | number | undefined>;
  /** In-service instances the new value was computed from. */
  instanceCount: number;
  /** When the change was decided (ISO). */
  decidedAt: string;
  /** When the Genesys PUT succeeded (ISO). */
  appliedAt?: string;
  sqsMessageId: string;
}

/** Builds the sort key of a change caused by an event. */
export function changeIdOf(eventTime: string, eventId: string): string {
  return `${new Date(eventTime).toISOString()}#${eventId}`;
}

/** Reads and writes the audit table. */
export class ChangeAudit {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Writes the `pending` intent. Returns "created", or the existing item when this
   * change was already decided (a redelivery).
   */
  async recordIntent(record: ChangeRecord): Promise<"created" | ChangeRecord> {
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: record, ConditionExpression: "attribute_not_exists(targetField)" }),
      );
      return "created";
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const existing = await this.get(record);
    if (!existing) throw new Error(`audit item ${record.targetField} ${record.changeId} vanished after a conditional put refused it`);
    return existing;
  }

  /**
   * Marks a `pending` change applied with the value Genesys now holds. Returns false
   * when there was no pending item for this key (nothing to complete).
   */
  async markApplied(key: ChangeKey, value: number, at: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { targetField: key.targetField, changeId: key.changeId },
          UpdateExpression: "SET #status = :applied, appliedAt = :at, newValue = :value",
          ConditionExpression: "#status = :pending",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":applied": "applied", ":pending": "pending", ":at": at.toISOString(), ":value": value },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** The latest change of a field by event time (consistent read), if any. */
  async latest(targetField: string): Promise<ChangeRecord | undefined> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "targetField = :field",
        ExpressionAttributeValues: { ":field": targetField },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return result.Items?.[0] as ChangeRecord | undefined;
  }

  private async get(key: ChangeKey): Promise<ChangeRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { targetField: key.targetField, changeId: key.changeId }, ConsistentRead: true }),
    );
    return result.Item as ChangeRecord | undefined;
  }
}
