/**
 * One sync step: bring one rule's Genesys field to the value the rule wants now.
 *
 * Read-modify-write, because Genesys PUTs are full replaces with no version or ETag:
 * GET the whole object, change only the rule's field, PUT it all back, and only when
 * the value differs. Nothing else guards against a concurrent writer, which is why
 * the queue is FIFO with one message group per Genesys object: at most one step per
 * object runs at a time.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { GenesysClient } from "../shared/genesys-client";
import { desiredValue, targetApiPath, targetFieldKey, targetFieldPath, type SyncRule } from "../shared/sync-rules";
import { changeIdOf, type ChangeAudit, type ChangeRecord } from "./audit";
import type { SyncTrigger } from "./triggers";

/** The rule's field is missing from the Genesys object or not a number: a rule error, not retryable by waiting. */
export class TargetFieldError extends Error {
  override readonly name = "TargetFieldError";
}

/** How a step ended. */
export type SyncOutcome =
  | { status: "applied"; oldValue: number; newValue: number }
  | { status: "unchanged"; value: number }
  | { status: "cooldown"; oldValue: number; newValue: number; lastChangeId: string }
  | { status: "dryRun"; oldValue: number; newValue: number }
  | { status: "alreadyApplied"; oldValue: number; newValue: number };

/** What a step needs. */
export interface SyncDependencies {
  genesys: Pick<GenesysClient, "request">;
  /** In-service instance count of an Auto Scaling group (memoize per message). */
  instancesOf: (groupName: string) => Promise<number>;
  audit: ChangeAudit;
  dryRun: boolean;
  now: () => Date;
  log: Logger;
  sqsMessageId: string;
}

/**
 * Syncs one rule for one trigger.
 * @example const outcome = await syncRule(rule, trigger, deps); // { status: "applied", oldValue: 4, newValue: 6 }
 */
export async function syncRule(rule: SyncRule, trigger: SyncTrigger, deps: SyncDependencies): Promise<SyncOutcome> {
  const { log } = deps;
  const instanceCount = await deps.instancesOf(rule.source.autoScalingGroupName);
  const wanted = desiredValue(rule, instanceCount);
  const path = targetApiPath(rule.target);
  const fieldPath = targetFieldPath(rule.target);
  const current = await deps.genesys.request<Record<string, unknown>>("GET", path);
  const currentValue = readNumber(current, fieldPath, path);
  const key = { targetField: targetFieldKey(rule.target), changeId: changeIdOf(trigger.time, trigger.eventId) };
  const facts = { rule: rule.name, targetField: key.targetField, instanceCount, currentValue, desiredValue: wanted };

  if (currentValue === wanted) {
    // A crash after an earlier attempt's PUT leaves its audit item pending: finish it.
    if (!deps.dryRun && (await deps.audit.markApplied(key, currentValue, deps.now()))) {
      log.info("completed an interrupted change: Genesys already holds the new value", facts);
      return { status: "applied", oldValue: currentValue, newValue: currentValue };
    }
    log.info("skipped: Genesys already holds the desired value", { ...facts, outcome: "unchanged" });
    return { status: "unchanged", value: currentValue };
  }

  if (rule.cooldownSeconds) {
    const last = await deps.audit.latest(key.targetField);
    const sinceMs = last ? deps.now().getTime() - Date.parse(last.decidedAt) : Number.POSITIVE_INFINITY;
    if (last && last.changeId !== key.changeId && sinceMs < rule.cooldownSeconds * 1000) {
      log.info("skipped: field is in its cooldown; the next reconciliation applies the change", {
        ...facts,
        outcome: "cooldown",
        lastChangeId: last.changeId,
        cooldownSeconds: rule.cooldownSeconds,
      });
      return { status: "cooldown", oldValue: currentValue, newValue: wanted, lastChangeId: last.changeId };
    }
  }

  if (deps.dryRun) {
    log.info("dry run: would change the Genesys field", { ...facts, outcome: "dryRun" });
    return { status: "dryRun", oldValue: currentValue, newValue: wanted };
  }

  const record: ChangeRecord = {
    ...key,
    status: "pending",
    rule: rule.name,
    target: rule.target,
    oldValue: currentValue,
    newValue: wanted,
    cause:
      trigger.kind === "scaling"
        ? {
            trigger: trigger.kind,
            detailType: trigger.detailType,
            eventId: trigger.eventId,
            eventTime: trigger.time,
            autoScalingGroupName: trigger.autoScalingGroupName,
            activityId: trigger.activityId,
            instanceId: trigger.instanceId,
          }
        : { trigger: trigger.kind, detailType: trigger.detailType, eventId: trigger.eventId, eventTime: trigger.time },
    instanceCount,
    decidedAt: deps.now().toISOString(),
    sqsMessageId: deps.sqsMessageId,
  };
  const intent = await deps.audit.recordIntent(record);
  if (intent !== "created") {
    if (intent.status === "applied") {
      // This event's change went through before; whatever changed the field since is drift for the reconciliation.
      log.info("skipped: this event's change was already applied", { ...facts, outcome: "alreadyApplied", appliedAt: intent.appliedAt });
      return { status: "alreadyApplied", oldValue: intent.oldValue, newValue: intent.newValue };
    }
    log.info("resuming an interrupted change", { ...facts, decidedAt: intent.decidedAt });
  }

  await deps.genesys.request("PUT", path, { body: withValue(current, fieldPath, wanted) });
  await deps.audit.markApplied(key, wanted, deps.now());
  log.info("applied a change to Genesys", { ...facts, outcome: "applied", oldValue: currentValue, newValue: wanted });
  return { status: "applied", oldValue: currentValue, newValue: wanted };
}

/** The number at `fieldPath` of a Genesys object. */
export function readNumber(object: unknown, fieldPath: string[], what: string): number {
  let value: unknown = object;
  for (const segment of fieldPath) {
    value = isRecord(value) ? value[segment] : undefined;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TargetFieldError(`${what} has no numeric field ${fieldPath.join(".")} (found ${value === undefined ? "nothing" : typeof value})`);
  }
  return value;
}

/** A deep copy of `object` with only the field at `fieldPath` set to `value`. */
export function withValue<T>(object: T, fieldPath: string[], value: number): T {
  const copy = structuredClone(object) as Record<string, unknown>;
  let node = copy;
  for (const segment of fieldPath.slice(0, -1)) node = node[segment] as Record<string, unknown>;
  node[fieldPath[fieldPath.length - 1]!] = value;
  return copy as T;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
