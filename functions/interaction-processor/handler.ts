/**
 * Interaction processor, invoked by the interaction workflow with one Genesys
 * conversation event: marks the participant in Genesys with
 * `PATCH /api/v2/conversations/{conversationId}/participants/{participantId}/attributes`
 * `{"attributes": {"<prefix>processedAt", "<prefix>eventType", "<prefix>eventTime"}}`.
 *
 * Idempotent per business event (Powertools idempotency, DynamoDB table
 * IDEMPOTENCY_TABLE_NAME, key = the event identity of shared/interaction-event.ts, not the
 * delivery id), so a retry after a lost response or a replay patches at most once.
 *
 * Errors keep their names so the workflow's Retry/Catch match them:
 * GenesysRateLimitedError / GenesysTransientError / IdempotencyAlreadyInProgressError /
 * IdempotencyPersistenceLayerError are retried; InvalidEventError (malformed event, or an
 * event with no participantId: there is no participant to mark), GenesysClientError and
 * GenesysAuthError are not: the workflow sends the event to the failure queue with the cause.
 */
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { ConfigError, intEnv, requireEnv } from "../shared/config";
import { InvalidEventError, parseEnvelope } from "../shared/envelope";
import type { GenesysClient } from "../shared/genesys-client";
import { genesysClientFromEnv } from "../shared/genesys-runtime";
import { interactionEventIdentity } from "../shared/interaction-event";
import type { LambdaContext } from "../shared/lambda-types";
import { correlatedLogger, logger } from "../shared/logger";
import { BUSINESS_METRICS, countMetric, flushMetrics } from "../shared/metrics";
import { isSelfTestInvocation, type SelfTestCheck, type SelfTestResponse } from "../shared/self-test";
import { answerSelfTest, genesysLoginCheck, genesysPermissionProbe, secretFieldsCheck, unknownConversationId } from "../shared/self-test-checks";

/** What is applied for one event (the idempotent unit). */
export interface AttributeUpdate {
  /** Identity key of the event (the idempotency key). */
  eventKey: string;
  conversationId: string;
  participantId: string;
  eventType: string;
  /** ISO 8601. */
  eventTime: string;
}

/** Result returned to the workflow (and replayed for duplicates). */
export interface ProcessorResult {
  status: "applied";
  conversationId: string;
  participantId: string;
  attributes: Record<string, string>;
}

/** Attribute names, from INTERACTION_ATTRIBUTE_PREFIX. */
export function attributeNames(prefix: string): { processedAt: string; eventType: string; eventTime: string } {
  if (!/^[A-Za-z0-9_.-]{0,40}$/.test(prefix)) {
    throw new ConfigError(`INTERACTION_ATTRIBUTE_PREFIX must be up to 40 letters, digits, ".", "_" or "-", got "${prefix}"`);
  }
  return { processedAt: `${prefix}processedAt`, eventType: `${prefix}eventType`, eventTime: `${prefix}eventTime` };
}

async function applyAttributes(update: AttributeUpdate, context: LambdaContext): Promise<ProcessorResult> {
  const names = attributeNames(requireEnv("INTERACTION_ATTRIBUTE_PREFIX"));
  const attributes = {
    [names.processedAt]: new Date().toISOString(),
    [names.eventType]: update.eventType,
    [names.eventTime]: update.eventTime,
  };
  const genesys = genesysClientFromEnv({ remainingTimeMs: () => context.getRemainingTimeInMillis() });
  const path = `/api/v2/conversations/${encodeURIComponent(update.conversationId)}/participants/${encodeURIComponent(update.participantId)}/attributes`;
  await genesys.request("PATCH", path, { body: { attributes } });
  // Counted here, not for a duplicate answered from the idempotency record.
  countMetric(BUSINESS_METRICS.interactionsApplied);
  return { status: "applied", conversationId: update.conversationId, participantId: update.participantId, attributes };
}

interface Runtime {
  config: IdempotencyConfig;
  applyOnce: (update: AttributeUpdate, context: LambdaContext) => Promise<ProcessorResult>;
}
let runtime: Runtime | undefined;

/** Built on first use (not at import) so a configuration error is reported as the invocation's error. */
function getRuntime(): Runtime {
  if (runtime) return runtime;
  const config = new IdempotencyConfig({
    eventKeyJmesPath: "eventKey",
    expiresAfterSeconds: intEnv("INTERACTION_IDEMPOTENCY_TTL_SECONDS"),
  });
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: requireEnv("IDEMPOTENCY_TABLE_NAME") });
  // A fixed prefix: records survive a function rename.
  const applyOnce = makeIdempotent(applyAttributes, { persistenceStore, config, keyPrefix: "interaction-processor" });
  runtime = { config, applyOnce };
  return runtime;
}

/**
 * The processor's self-test: its Genesys secret, a fresh login, and the attributes PATCH
 * on an unknown conversation and participant with no attribute (`{"attributes": {}}`):
 * 404 (or a 2xx, which changes nothing) proves the permission, 403 disproves it.
 */
export function processorChecks(genesys: () => GenesysClient): SelfTestCheck[] {
  return [
    secretFieldsCheck("genesys secret", "GENESYS_SECRET_ARN", ["clientId", "clientSecret"]),
    genesysLoginCheck(genesys, ["genesys secret"]),
    genesysPermissionProbe(
      "genesys participant attributes permission",
      genesys,
      { method: "PATCH", path: `/api/v2/conversations/${unknownConversationId()}/participants/${unknownConversationId()}/attributes`, body: { attributes: {} } },
      "the permission Genesys names in the 403 message (the one that lets the client update participant attributes)",
    ),
  ];
}

/** Lambda entry point: input is the Genesys event exactly as the workflow received it (or a direct self-test invocation). */
export const handler = async (event: unknown, context: LambdaContext): Promise<ProcessorResult | SelfTestResponse> => {
  logger.addContext(context as never);
  if (isSelfTestInvocation(event)) {
    let genesys: GenesysClient | undefined;
    return answerSelfTest(event, context, () => processorChecks(() => (genesys ??= genesysClientFromEnv({ remainingTimeMs: () => context.getRemainingTimeInMillis() }))));
  }
  const parsed = parseEnvelope(event);
  const identity = interactionEventIdentity(parsed);
  const log = correlatedLogger({
    eventId: parsed.id,
    conversationId: identity.conversationId,
    participantId: identity.participantId,
    eventType: identity.eventType,
  });
  if (!identity.participantId) {
    const error = new InvalidEventError(`event ${parsed.id} (${identity.eventType}) has no eventBody.participantId: no participant to mark`);
    log.error("event not applicable", { errorName: error.name, errorMessage: error.message });
    throw error;
  }
  const { config, applyOnce } = getRuntime();
  // In-progress records expire with this invocation, so a retry after a timeout is not blocked.
  config.registerLambdaContext(context as never);
  const result = await applyOnce(
    {
      eventKey: identity.key,
      conversationId: identity.conversationId,
      participantId: identity.participantId,
      eventType: identity.eventType,
      eventTime: new Date(identity.eventTimeMs).toISOString(),
    },
    context,
  ).finally(flushMetrics); // also when it throws: a 429 that fails the attempt is still counted
  log.info("participant attributes applied", { attributes: result.attributes });
  return result;
};
