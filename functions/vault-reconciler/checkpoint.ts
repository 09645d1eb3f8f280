/**
 * A reconciliation run's progress, kept in the idempotency table (partition key `id`, TTL
 * `expiration`) under `vault-reconciler#<runId>`, so a run can span invocations:
 * - the search cursor and the run's totals are saved after every page;
 * - an invocation that runs out of time hands the run over to a continuation: it writes a fresh
 *   `handoff` token and invokes the function itself (asynchronously) with `{runId, handoff}`;
 * - a continuation whose token is not the record's (a duplicate or late delivery) does nothing,
 *   so no page, and no backfill, is handled twice; a retry of the current one resumes at the cursor.
 * Every write is conditional on the token the writer holds: an invocation that lost the run
 * (it was handed over meanwhile) cannot move its cursor back.
 */
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { dynamoDocumentClient, isConditionalCheckFailed } from "../shared/dynamodb";
import type { SearchCursor } from "./analytics";

/** How long a run's record is kept (TTL): long after any continuation could still arrive. */
const RECORD_TTL_SECONDS = 14 * 86_400;
/** Record of the latest scheduled run's id. */
const LATEST_SCHEDULED = "latest-scheduled";
/** The `handoff` of a run that no continuation has taken over yet. */
export const INITIAL_HANDOFF = "initial";

/** A run's totals so far. */
export interface RunTotals {
  expected: number;
  archived: number;
  missing: number;
  backfilled: number;
  missingAfterBackfill: number;
  outlasting: number;
  backfillsFailed: number;
  analyticsRequests: number;
}

/** What the record of a run holds. */
export interface RunState {
  runId: string;
  window: { start: number; end: number };
  dryRun: boolean;
  /** Undefined once the search is complete. */
  cursor: SearchCursor | undefined;
  handoff: string;
  invocations: number;
  /** When the last analytics request started (epoch ms): the next invocation keeps the pace. */
  lastRequestAt?: number;
  totals: RunTotals;
  /** Up to 100 missing conversation ids, for the operator. */
  missingIds: string[];
  done: boolean;
  /** When the record was last written (epoch ms). */
  savedAt?: number;
}

/** Reads and writes run records in one table. */
export class CheckpointStore {
  constructor(private readonly tableName: string) {}

  async load(runId: string): Promise<RunState | undefined> {
    const { Item } = await dynamoDocumentClient().send(new GetCommand({ TableName: this.tableName, Key: { id: key(runId) }, ConsistentRead: true }));
    return Item ? (JSON.parse(String(Item.state)) as RunState) : undefined;
  }

  /** Creates the record of a new run; false if it exists already (a duplicate start). */
  async create(state: RunState): Promise<boolean> {
    return this.put(state, { ConditionExpression: "attribute_not_exists(id)" });
  }

  /**
   * Saves the state if the record's handoff is still `heldHandoff` (the state may carry a new one:
   * a hand-over). False if the run was handed over meanwhile.
   */
  async save(state: RunState, heldHandoff: string): Promise<boolean> {
    return this.put(state, { ConditionExpression: "handoff = :held", ExpressionAttributeValues: { ":held": heldHandoff } });
  }

  /** The id of the latest scheduled run, if any (a new scheduled run checks that it finished). */
  async latestScheduled(): Promise<string | undefined> {
    const { Item } = await dynamoDocumentClient().send(new GetCommand({ TableName: this.tableName, Key: { id: key(LATEST_SCHEDULED) }, ConsistentRead: true }));
    return typeof Item?.runId === "string" ? Item.runId : undefined;
  }

  async setLatestScheduled(runId: string): Promise<void> {
    await dynamoDocumentClient().send(new PutCommand({ TableName: this.tableName, Item: { id: key(LATEST_SCHEDULED), runId, expiration: Math.floor(Date.now() / 1000) + RECORD_TTL_SECONDS } }));
  }

  private async put(state: RunState, condition: { ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> }): Promise<boolean> {
    try {
      await dynamoDocumentClient().send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id: key(state.runId), handoff: state.handoff, state: JSON.stringify({ ...state, savedAt: Date.now() }), expiration: Math.floor(Date.now() / 1000) + RECORD_TTL_SECONDS },
          ...condition,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

function key(runId: string): string {
  return `vault-reconciler#${runId}`;
}
