/**
 * Event ordering per key, decided atomically by DynamoDB conditional writes (never
 * read-then-write). The receiver keys by the table an action changes (`table#<name>`),
 * so one item per table in the state table:
 *
 * | attribute     | meaning                                                        |
 * |---------------|----------------------------------------------------------------|
 * | lastEventTime | timestamp (epoch ms) of the newest event accepted              |
 * | lastEventId   | its event id                                                   |
 * | status        | `applying` (claimed, being applied), `done`, or `failed`       |
 * | leaseUntil    | while `applying`: when a crashed claim may be taken over (ms)  |
 * | lastChangeAt  | when the action last changed something (ms): the cooldown      |
 * | outcome       | what the last completed event did                              |
 *
 * Protocol: claim -> apply -> complete (or release on a handled failure).
 * - claim: one UpdateItem whose condition admits the event only if it is newer than
 *   the newest accepted one (equal timestamps: only a retry of that same, unfinished
 *   event), and no other event holds an unexpired claim. Stale, duplicate and
 *   concurrent events are refused by DynamoDB itself, so exactly one caller applies.
 * - apply happens only while holding the claim, so applies for one key (table) never overlap.
 * - complete / release: conditional on still holding the claim, so a late writer can
 *   never overwrite a newer event's state.
 * Nothing is lost by a failure after the claim: a handled failure releases the claim as
 * `failed` and answers 5xx, so the caller's retry of the same event is admitted; a crash
 * leaves `applying`, and the retry is admitted once the lease expires.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../shared/dynamodb";

/** State of one key (a table). */
export interface ResourceState {
  resourceKey: string;
  lastEventTime?: number;
  lastEventId?: string;
  status?: "applying" | "done" | "failed";
  leaseUntil?: number;
  lastChangeAt?: number;
  outcome?: string;
}

/** The event identity a claim is made for. */
export interface EventIdentity {
  resourceKey: string;
  eventId: string;
  timestampMs: number;
}

/** Result of {@link EventOrder.claim}. */
export type ClaimResult =
  | { claimed: true; previous?: ResourceState }
  | { claimed: false; reason: "stale" | "duplicate" | "busy"; retryAfterSeconds?: number; state?: ResourceState };

/** Claims, completes and releases events against the state table. */
export class EventOrder {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly leaseMs: number,
  ) {}

  /** Tries to become the one caller that applies `event` for its key. */
  async claim(event: EventIdentity, nowMs: number): Promise<ClaimResult> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { resourceKey: event.resourceKey },
          UpdateExpression: "SET lastEventTime = :t, lastEventId = :id, #status = :applying, leaseUntil = :lease, claimedAt = :now",
          ConditionExpression:
            "(attribute_not_exists(lastEventTime) OR lastEventTime < :t OR (lastEventTime = :t AND lastEventId = :id AND #status <> :done))" +
            " AND (attribute_not_exists(#status) OR #status <> :applying OR leaseUntil < :now)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":t": event.timestampMs,
            ":id": event.eventId,
            ":applying": "applying",
            ":done": "done",
            ":now": nowMs,
            ":lease": nowMs + this.leaseMs,
          },
          ReturnValues: "ALL_OLD",
        }),
      );
      return { claimed: true, previous: result.Attributes as ResourceState | undefined };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    // The decision is made; this read only explains it (state only moves forward).
    const state = await this.read(event.resourceKey);
    if (state?.lastEventTime !== undefined && state.lastEventTime > event.timestampMs) return { claimed: false, reason: "stale", state };
    if (state?.lastEventTime === event.timestampMs && state.lastEventId !== event.eventId) return { claimed: false, reason: "stale", state };
    if (state?.lastEventTime === event.timestampMs && state.status === "done") return { claimed: false, reason: "duplicate", state };
    const retryAfterSeconds = Math.max(1, Math.ceil(((state?.leaseUntil ?? nowMs) - nowMs) / 1000));
    return { claimed: false, reason: "busy", retryAfterSeconds, state };
  }

  /** Records the outcome of a claimed event; `changed` sets the cooldown clock. Returns false if the claim was lost. */
  async complete(event: EventIdentity, outcome: string, nowMs: number, changed: Record<string, number> | undefined): Promise<boolean> {
    const values: Record<string, unknown> = { ":done": "done", ":applying": "applying", ":id": event.eventId, ":outcome": outcome, ":now": nowMs };
    let update = "SET #status = :done, outcome = :outcome, completedAt = :now";
    if (changed) {
      update += ", lastChangeAt = :now, lastChange = :change";
      values[":change"] = changed;
    }
    return this.finish(event, `${update} REMOVE leaseUntil`, values);
  }

  /** Gives a claimed event back after a handled failure, so a retry of it is admitted at once. */
  async release(event: EventIdentity, reason: string, nowMs: number): Promise<boolean> {
    return this.finish(event, "SET #status = :failed, outcome = :outcome, completedAt = :now REMOVE leaseUntil", {
      ":failed": "failed",
      ":applying": "applying",
      ":id": event.eventId,
      ":outcome": reason,
      ":now": nowMs,
    });
  }

  private async finish(event: EventIdentity, update: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { resourceKey: event.resourceKey },
          UpdateExpression: update,
          ConditionExpression: "lastEventId = :id AND #status = :applying",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  private async read(resourceKey: string): Promise<ResourceState | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { resourceKey }, ConsistentRead: true }));
    return result.Item as ResourceState | undefined;
  }
}
