/**
 * Webhook receiver: API Gateway HTTP API (payload format 2.0), `POST /genesys/events`,
 * called by a Genesys Architect workflow's data action (see contract.ts).
 *
 * Order of checks, each answering as soon as it fails:
 * 1. 401 unless the shared-secret header matches (constant time; no detail returned).
 * 2. 413 if the body (decoded when base64) exceeds WEBHOOK_MAX_BODY_BYTES.
 * 3. 400 with the reason if the body is not JSON, breaks the contract or names an
 *    unknown action.
 * 4. Claim the event for the table its action changes (event-order.ts): the table, not
 *    the caller's resource, is the unit of ordering and cooldown, since the table has one
 *    capacity whichever resource the signal came from. Stale, equal-timestamp or
 *    duplicate events answer 200 with `status` "stale"/"duplicate" and change nothing;
 *    an event arriving while another for the same table is being applied answers 409
 *    with Retry-After.
 * 5. Apply the action (table-capacity.ts), then record the outcome. A table that
 *    cannot change now, or CloudWatch not answering what the table consumes, answers
 *    503 with Retry-After, any other failure 500; all release the claim first so the
 *    caller's retry of the event is admitted.
 * Responses are JSON `{ status, ... }`.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { intEnv, requireEnv } from "../shared/config";
import { dynamoDocumentClient } from "../shared/dynamodb";
import type { LambdaContext } from "../shared/lambda-types";
import { correlatedLogger, errorFields, logger } from "../shared/logger";
import { WEBHOOK_DECISIONS } from "../shared/metric-names";
import { BUSINESS_METRICS, countDimensioned } from "../shared/metrics";
import { isSelfTestInvocation, type SelfTestRequest, type SelfTestResponse } from "../shared/self-test";
import { answerSelfTest } from "../shared/self-test-checks";
import { parseWebhookActions, DEFAULT_CAPACITY_COOLDOWN_SECONDS, type WebhookAction } from "../shared/webhook-actions";
import { echo, InvalidWebhookError, parseWebhookEvent } from "./contract";
import { EventOrder } from "./event-order";
import { webhookReceiverChecks } from "./self-test";
import { acceptedSecrets, matchesSharedSecret } from "./shared-secret";
import { TableBusyError, TableCapacity } from "./table-capacity";
import { ConsumptionUnavailableError, TableConsumptionReader } from "./table-consumption";

/** Retry-After when a change cannot be made now (table updating, concurrent scaling change, throttling). */
const TABLE_BUSY_RETRY_SECONDS = 60;
/** Retry-After when CloudWatch could not be read (throttling, server errors clear quickly). */
const CONSUMPTION_RETRY_SECONDS = 30;

/** The parts of an API Gateway HTTP API (payload 2.0) request the receiver reads. */
export interface HttpApiRequest {
  routeKey?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { requestId?: string; http?: { method?: string; path?: string; sourceIp?: string } };
}

/** An HTTP API (payload 2.0) response. */
export interface HttpApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

interface Settings {
  secretArn: string;
  secretHeader: string;
  maxBodyBytes: number;
  maxSkewMs: number;
  actions: Map<string, WebhookAction>;
  order: EventOrder;
}

let settings: Settings | undefined;
let capacity: TableCapacity | undefined;

function loadSettings(): Settings {
  const actions = parseWebhookActions(requireEnv("WEBHOOK_ACTIONS"));
  return {
    secretArn: requireEnv("WEBHOOK_SECRET_ARN"),
    // HTTP APIs lower-case header names.
    secretHeader: requireEnv("WEBHOOK_SECRET_HEADER").toLowerCase(),
    maxBodyBytes: intEnv("WEBHOOK_MAX_BODY_BYTES"),
    maxSkewMs: intEnv("WEBHOOK_MAX_CLOCK_SKEW_SECONDS") * 1000,
    actions: new Map(actions.map((action) => [action.name, action])),
    order: new EventOrder(dynamoDocumentClient(), requireEnv("WEBHOOK_STATE_TABLE_NAME"), intEnv("WEBHOOK_CLAIM_LEASE_SECONDS") * 1000),
  };
}

/** Lambda entry point (HTTP API; or a direct self-test invocation). */
export async function handler(request: HttpApiRequest, context: LambdaContext): Promise<HttpApiResponse>;
export async function handler(request: SelfTestRequest, context: LambdaContext): Promise<SelfTestResponse>;
export async function handler(request: HttpApiRequest | SelfTestRequest, context: LambdaContext): Promise<HttpApiResponse | SelfTestResponse> {
  logger.addContext(context as never);
  if (isSelfTestInvocation(request)) return answerSelfTest(request, context, () => webhookReceiverChecks(() => parseWebhookActions(requireEnv("WEBHOOK_ACTIONS"))));
  return handleRequest(request as HttpApiRequest);
}

async function handleRequest(request: HttpApiRequest): Promise<HttpApiResponse> {
  const log = correlatedLogger({ apiRequestId: request.requestContext?.requestId });
  try {
    settings ??= loadSettings();
    capacity ??= new TableCapacity(new TableConsumptionReader(intEnv("WEBHOOK_CONSUMPTION_READ_TIMEOUT_MS")));
    const response = await receive(request, settings, capacity, log);
    countDimensioned(BUSINESS_METRICS.webhookDecisions, "decision", decisionOf(response));
    return response;
  } catch (error) {
    log.error("webhook failed", errorFields(error));
    countDimensioned(BUSINESS_METRICS.webhookDecisions, "decision", "error");
    return respond(500, { status: "error", message: "internal error" });
  }
}

async function receive(request: HttpApiRequest, s: Settings, tables: TableCapacity, log: Logger): Promise<HttpApiResponse> {
  const method = request.requestContext?.http?.method;
  if (method && method !== "POST") return respond(405, { status: "methodNotAllowed" }, { allow: "POST" });

  const presented = request.headers?.[s.secretHeader];
  if (!matchesSharedSecret(presented, await acceptedSecrets(s.secretArn))) {
    log.warn("webhook refused: missing or wrong shared secret", { secretPresented: presented !== undefined, sourceIp: request.requestContext?.http?.sourceIp });
    return respond(401, { status: "unauthorized" });
  }

  const raw = request.body ?? "";
  // Refuse before decoding when even the encoded form is clearly too large.
  if (request.isBase64Encoded ? raw.length > Math.ceil((s.maxBodyBytes * 4) / 3) + 4 : raw.length > s.maxBodyBytes) {
    return tooLarge(s.maxBodyBytes, log);
  }
  const bytes = request.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (bytes.length > s.maxBodyBytes) return tooLarge(s.maxBodyBytes, log);

  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    return invalid("body is not valid JSON", log);
  }
  const now = Date.now();
  let event;
  try {
    event = parseWebhookEvent(parsed, now, s.maxSkewMs);
  } catch (error) {
    if (error instanceof InvalidWebhookError) return invalid(error.message, log);
    throw error;
  }
  const action = s.actions.get(event.action);
  if (!action) return invalid(`action "${echo(event.action)}" is not configured (known: ${[...s.actions.keys()].join(", ") || "none"})`, log);

  log.appendKeys({ eventId: event.eventId, resourceId: event.resourceId, action: action.name });
  // One state item per table: N resources (or actions) driving one table share its ordering and
  // its cooldown, so the table changes at most once per cooldown, not N times.
  const identity = { resourceKey: tableStateKey(action.tableName), eventId: event.eventId, timestampMs: event.timestampMs };
  const claim = await s.order.claim(identity, now);
  if (!claim.claimed) {
    const eventTime = new Date(event.timestampMs).toISOString();
    const newest = claim.state?.lastEventTime !== undefined ? new Date(claim.state.lastEventTime).toISOString() : undefined;
    if (claim.reason === "busy") {
      log.info("webhook deferred: another event for this table is being applied", { eventTime, newestEventTime: newest });
      return respond(409, { status: "busy", retryAfterSeconds: claim.retryAfterSeconds }, { "retry-after": String(claim.retryAfterSeconds) });
    }
    log.info(`webhook dropped: ${claim.reason}`, { eventTime, newestEventTime: newest, outcome: claim.reason });
    return respond(200, { status: claim.reason, eventTime, newestEventTime: newest });
  }

  const cooldownMs = (action.cooldownSeconds ?? DEFAULT_CAPACITY_COOLDOWN_SECONDS) * 1000;
  const lastChangeAt = claim.previous?.lastChangeAt;
  if (lastChangeAt !== undefined && now - lastChangeAt < cooldownMs) {
    await s.order.complete(identity, "cooldown", Date.now(), undefined);
    log.info("webhook accepted, no change: the table is in its cooldown", { outcome: "cooldown", lastChangeAt: new Date(lastChangeAt).toISOString() });
    return respond(200, { status: "cooldown", nextChangeAfter: new Date(lastChangeAt + cooldownMs).toISOString() });
  }

  let result;
  try {
    result = await tables.adjust(action, event.signal);
  } catch (error) {
    await s.order.release(identity, `failed: ${error instanceof Error ? error.name : "error"}`, Date.now());
    if (error instanceof TableBusyError) {
      log.warn("webhook not applied: table cannot change now; the caller should retry", errorFields(error));
      return retryLater(TABLE_BUSY_RETRY_SECONDS);
    }
    if (error instanceof ConsumptionUnavailableError) {
      log.warn("webhook not applied: the table's consumption could not be read, so no change is safe; the caller should retry", errorFields(error));
      return retryLater(CONSUMPTION_RETRY_SECONDS);
    }
    throw error;
  }

  const changed = result.outcome === "applied" ? { readCapacityUnits: result.readCapacityUnits, writeCapacityUnits: result.writeCapacityUnits } : undefined;
  const recorded = await s.order.complete(identity, result.outcome, Date.now(), changed);
  if (!recorded) log.warn("outcome not recorded: the claim expired and a later event took over", { outcome: result.outcome });
  if (result.outcome === "onDemand") {
    log.warn(`no change: table ${action.tableName} uses on-demand (PAY_PER_REQUEST) capacity, which needs no provisioning`, { outcome: "onDemand" });
    return respond(200, { status: "ignored", reason: "table uses on-demand capacity" });
  }
  log.info(result.outcome === "applied" ? "table capacity changed" : "table capacity already as wanted", { ...result, signal: event.signal, tableName: action.tableName });
  return respond(200, { status: result.outcome, readCapacityUnits: result.readCapacityUnits, writeCapacityUnits: result.writeCapacityUnits });
}

/** The state item of a table: its ordering and cooldown. */
export function tableStateKey(tableName: string): string {
  return `table#${tableName}`;
}

function retryLater(seconds: number): HttpApiResponse {
  return respond(503, { status: "retryLater", retryAfterSeconds: seconds }, { "retry-after": String(seconds) });
}

function tooLarge(limit: number, log: Logger): HttpApiResponse {
  log.warn("webhook refused: body too large", { limitBytes: limit });
  return respond(413, { status: "tooLarge", limitBytes: limit });
}

function invalid(reason: string, log: Logger): HttpApiResponse {
  log.warn("webhook refused: invalid payload", { reason });
  return respond(400, { status: "invalid", reason });
}

/** The `status` the caller got, one of a known few (never caller input: metric dimensions stay bounded). */
function decisionOf(response: HttpApiResponse): string {
  const status = (JSON.parse(response.body) as { status?: unknown }).status;
  return (WEBHOOK_DECISIONS as readonly unknown[]).includes(status) ? String(status) : "other";
}

function respond(statusCode: number, body: Record<string, unknown>, headers: Record<string, string> = {}): HttpApiResponse {
  return { statusCode, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}
