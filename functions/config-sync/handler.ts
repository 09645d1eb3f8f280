/**
 * Configuration sync: AWS capacity -> Genesys routing configuration.
 *
 * Source: an SQS FIFO queue fed by Auto Scaling launch/terminate events (default bus)
 * and a reconciliation schedule, one message group per Genesys object
 * (`messageGroupIdOf` in shared/sync-rules.ts), so two updates of one object never
 * overlap and are applied in arrival order.
 *
 * Per message: parse it (triggers.ts), pick the rules it concerns (those of its Auto
 * Scaling group, or all for a reconciliation; narrowed to the message group's Genesys
 * object when the group id names one), and run each rule's sync step (sync.ts) in
 * order. Every applied change is recorded in the audit table (audit.ts). With
 * DRY_RUN=true nothing is written anywhere (no PUT, no audit item): the would-be
 * changes are logged with `outcome: "dryRun"`, and the audit table keeps meaning
 * "what was applied".
 *
 * Failures: a record that throws (invalid message, Genesys error, AWS error) is
 * reported in `batchItemFailures`; every later record of the same message group in
 * the batch is failed without being processed (Powertools SqsFifoPartialProcessorAsync
 * with skipGroupOnError), so order within a group holds, while other groups go on.
 * SQS redelivers; after maxReceiveCount the message goes to the DLQ with its reason logged.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import { booleanEnv, requireEnv } from "../shared/config";
import { dynamoDocumentClient } from "../shared/dynamodb";
import type { GenesysClient } from "../shared/genesys-client";
import { genesysClientFromEnv } from "../shared/genesys-runtime";
import type { LambdaContext, SqsBatchResponse, SqsEvent, SqsRecord } from "../shared/lambda-types";
import { correlatedLogger, errorFields, logger } from "../shared/logger";
import { BUSINESS_METRICS, countMetric, flushMetrics } from "../shared/metrics";
import { isSelfTestInvocation, type SelfTestRequest, type SelfTestResponse } from "../shared/self-test";
import { answerSelfTest } from "../shared/self-test-checks";
import { messageGroupIdOf, parseSyncRules, type SyncRule } from "../shared/sync-rules";
import { ChangeAudit } from "./audit";
import { ServingCapacity } from "./capacity";
import { configSyncChecks } from "./self-test";
import { syncRule, type SyncOutcome } from "./sync";
import { parseSyncTrigger, type SyncTrigger } from "./triggers";

const processor = new SqsFifoPartialProcessorAsync();
let settings: { rules: SyncRule[]; audit: ChangeAudit; dryRun: boolean } | undefined;
let capacity: ServingCapacity | undefined;

/** Lambda entry point (SQS FIFO event source with ReportBatchItemFailures; or a direct self-test invocation). */
export async function handler(event: SqsEvent, context: LambdaContext): Promise<SqsBatchResponse>;
export async function handler(event: SelfTestRequest, context: LambdaContext): Promise<SelfTestResponse>;
export async function handler(event: SqsEvent | SelfTestRequest, context: LambdaContext): Promise<SqsBatchResponse | SelfTestResponse> {
  logger.addContext(context as never);
  if (isSelfTestInvocation(event)) {
    let genesys: GenesysClient | undefined;
    return answerSelfTest(event, context, () =>
      configSyncChecks(
        () => parseSyncRules(requireEnv("SYNC_RULES")),
        () => (capacity ??= new ServingCapacity()),
        () => (genesys ??= genesysClientFromEnv({ remainingTimeMs: () => context.getRemainingTimeInMillis() })),
      ),
    );
  }
  return syncBatch(event as SqsEvent, context);
}

async function syncBatch(event: SqsEvent, context: LambdaContext): Promise<SqsBatchResponse> {
  // Parsed once per container: a bad SYNC_RULES fails every invocation loudly (ConfigError in the logs).
  settings ??= {
    rules: parseSyncRules(requireEnv("SYNC_RULES")),
    audit: new ChangeAudit(dynamoDocumentClient(), requireEnv("AUDIT_TABLE_NAME")),
    dryRun: booleanEnv("DRY_RUN"),
  };
  capacity ??= new ServingCapacity();
  // No network until the first request; the token is cached across invocations.
  const genesys = genesysClientFromEnv({ remainingTimeMs: () => context.getRemainingTimeInMillis() });
  const counts: Record<SyncOutcome["status"], number> = { applied: 0, unchanged: 0, cooldown: 0, dryRun: 0, alreadyApplied: 0 };

  const response = await processPartialResponse(
    event,
    async (record: SqsRecord) => {
      const log = correlatedLogger({ sqsMessageId: record.messageId, messageGroupId: record.attributes.MessageGroupId });
      try {
        const trigger = parseSyncTrigger(record.body);
        log.appendKeys({ eventId: trigger.eventId, trigger: trigger.kind });
        const groupId = record.attributes.MessageGroupId;
        if (groupId && !settings!.rules.some((rule) => messageGroupIdOf(rule.target) === groupId)) {
          // Safe only if every message shares this one group; otherwise two groups could race on one Genesys object.
          log.warn("message group names no Genesys object of the rules: processing every matching rule", { knownGroups: [...new Set(settings!.rules.map((rule) => messageGroupIdOf(rule.target)))] });
        }
        const rules = rulesFor(trigger, groupId, settings!.rules);
        if (!rules.length) {
          log.info("no sync rule concerns this message", { autoScalingGroupName: trigger.kind === "scaling" ? trigger.autoScalingGroupName : undefined });
          return;
        }
        const instanceCounts = new Map<string, Promise<number>>();
        const deps = {
          genesys,
          instancesOf: (group: string) => {
            if (!instanceCounts.has(group)) instanceCounts.set(group, capacity!.inServiceInstances(group));
            return instanceCounts.get(group)!;
          },
          audit: settings!.audit,
          dryRun: settings!.dryRun,
          now: () => new Date(),
          log,
          sqsMessageId: record.messageId,
        };
        for (const rule of rules) counts[(await syncRule(rule, trigger, deps)).status]++;
      } catch (error) {
        log.error("sync message failed; it will be retried, then dead-lettered", errorFields(error));
        throw error;
      }
    },
    processor,
    { context: context as never, skipGroupOnError: true, throwOnFullBatchFailure: false },
  );
  countMetric(BUSINESS_METRICS.syncWrites, counts.applied);
  countMetric(BUSINESS_METRICS.syncSkips, counts.unchanged + counts.cooldown + counts.dryRun + counts.alreadyApplied);
  flushMetrics();
  logger.info("config sync batch done", {
    records: event.Records.length,
    failed: response.batchItemFailures.length,
    dryRunMode: settings.dryRun,
    outcomes: counts,
  });
  return response as SqsBatchResponse;
}

/**
 * Rules a message concerns: those of its Auto Scaling group (all for a
 * reconciliation), narrowed to one Genesys object when the message group id names
 * one. A group id that names no rule's object (e.g. a single shared group) narrows
 * nothing: still correct, only less parallel.
 */
export function rulesFor(trigger: SyncTrigger, messageGroupId: string | undefined, rules: readonly SyncRule[]): SyncRule[] {
  const candidates =
    trigger.kind === "scaling" ? rules.filter((rule) => rule.source.autoScalingGroupName === trigger.autoScalingGroupName) : [...rules];
  const knownGroups = new Set(rules.map((rule) => messageGroupIdOf(rule.target)));
  if (messageGroupId && knownGroups.has(messageGroupId)) {
    return candidates.filter((rule) => messageGroupIdOf(rule.target) === messageGroupId);
  }
  return candidates;
}
