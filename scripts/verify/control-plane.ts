/**
 * AWS control-plane checks: the Genesys partner event source is ACTIVE and the pipelines'
 * rules on its bus are enabled; every alarm topic subscription is confirmed.
 */
import { DescribeEventSourceCommand, DescribeRuleCommand, type EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { ListSubscriptionsByTopicCommand, type SNSClient, type Subscription } from "@aws-sdk/client-sns";
import { isProduction } from "../../config/validate";
import type { EnvironmentConfig } from "../../config/types";
import { alarmTopicArnOf, type OpsInventory } from "../../constructs/observability/ops-inventory";
import { type CheckResult, fail, type Outcome, pass, runCheck, TIMEOUTS, unreachable, warn } from "./checks";

const POLICY_HINT = "(policy: docs/operations.md, Live verification)";

/** `events:DescribeEventSource`: the source the Genesys integration created must be ACTIVE (a bus is attached to it). */
export function partnerEventSourceCheck(events: EventBridgeClient, inv: OpsInventory): Promise<CheckResult> {
  const name = inv.eventBusName;
  return runCheck(
    "partner event source ACTIVE",
    TIMEOUTS.controlPlane,
    async (abortSignal): Promise<Outcome> => {
      const source = await events.send(new DescribeEventSourceCommand({ Name: name }), { abortSignal });
      if (source.State === "ACTIVE") return pass(`${name}: ACTIVE`);
      if (source.State === "PENDING") {
        return fail(`${name} is PENDING: no event bus is associated with it, so Genesys events are not delivered`, `apply ${inv.environment}-aws (its event bus activates the source) before the source expires`);
      }
      return fail(
        `${name} is ${source.State ?? "in no state"}: events from it are not delivered`,
        "a DELETED source cannot come back: re-create the Amazon EventBridge Source integration in Genesys (or apply <env>-genesys), then apply the AWS stack",
      );
    },
    (error) => awsExplain(error, "events:DescribeEventSource", name, "the Genesys integration has not created this source in this account and region: check its awsAccountId, awsAccountRegion and eventSourceSuffix"),
  );
}

/**
 * `events:DescribeRule` of each pipeline rule on the partner bus: it exists and is ENABLED.
 * (DescribeRule, not ListRules: it takes the rule's ARN as its resource, so the verify role
 * needs no `*`.)
 */
export function partnerRulesCheck(events: EventBridgeClient, inv: OpsInventory): Promise<CheckResult> {
  const bus = inv.eventBusName;
  const expected = inv.pipelines.filter((p) => p.eventBusName === bus).flatMap((p) => p.ruleNames);
  return runCheck(
    "partner bus rules enabled",
    TIMEOUTS.controlPlane,
    async (abortSignal): Promise<Outcome> => {
      const states = await Promise.all(
        expected.map(async (rule) => {
          try {
            return { rule, state: (await events.send(new DescribeRuleCommand({ Name: rule, EventBusName: bus }), { abortSignal })).State };
          } catch (error) {
            if ((error as Error).name === "ResourceNotFoundException") return { rule, state: undefined };
            throw error;
          }
        }),
      );
      const missing = states.filter((s) => s.state === undefined).map((s) => s.rule);
      // ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is enabled too; only DISABLED stops delivery.
      const disabled = states.filter((s) => s.state !== undefined && !s.state.startsWith("ENABLED")).map((s) => s.rule);
      if (missing.length) return fail(`missing on ${bus}: ${missing.join(", ")}`, `apply ${inv.environment}-aws`);
      if (disabled.length) {
        return fail(`disabled on ${bus}: ${disabled.join(", ")}`, `enable them (aws events enable-rule --event-bus-name ${bus} --name <rule>) or apply ${inv.environment}-aws`);
      }
      return pass(`${expected.length} rule(s) ENABLED`);
    },
    (error) => awsExplain(error, "events:DescribeRule", `the rules of ${bus}`, `the bus does not exist: apply ${inv.environment}-aws`),
  );
}

/**
 * `sns:ListSubscriptionsByTopic`: a subscription nobody confirmed (`PendingConfirmation`) gets no alarm.
 * Production environments (config/validate.ts isProduction) fail on one; others warn.
 */
export function alarmSubscriptionsCheck(sns: SNSClient, inv: OpsInventory, config: EnvironmentConfig): Promise<CheckResult> {
  const topicArn = alarmTopicArnOf(inv);
  const strict = isProduction(config);
  return runCheck(
    "alarm subscriptions confirmed",
    TIMEOUTS.controlPlane,
    async (abortSignal): Promise<Outcome> => {
      const subscriptions: Subscription[] = [];
      let NextToken: string | undefined;
      do {
        const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }), { abortSignal });
        subscriptions.push(...(page.Subscriptions ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
      if (subscriptions.length === 0) {
        if (config.aws.alarmSubscriptionOptOut && !strict) return warn(`${inv.alarmTopicName} has no subscription (aws.alarmSubscriptionOptOut): its alarms reach no one`, "subscribe someone: set aws.alarmEmail or aws.alarmHttpsEndpoint and apply");
        return fail(`${inv.alarmTopicName} has no subscription: its alarms reach no one`, `set aws.alarmEmail or aws.alarmHttpsEndpoint and apply ${inv.environment}-aws`);
      }
      const pending = subscriptions.filter((s) => s.SubscriptionArn === "PendingConfirmation");
      if (pending.length === 0) return pass(`${subscriptions.length} confirmed`);
      const who = pending.map((s) => `${s.Protocol} ${s.Protocol === "email" ? s.Endpoint : new URL(s.Endpoint ?? "https://unknown").host}`).join(", ");
      const reason = `${pending.length} of ${subscriptions.length} not confirmed (PendingConfirmation): ${who}: its alarms reach no one there`;
      const fix =
        "confirm it: the address clicks the link in SNS's confirmation e-mail (ask again with aws sns subscribe if it expired after 3 days); an HTTPS endpoint must answer the SubscriptionConfirmation (docs/operations.md, Deploying, step 6)";
      return strict ? fail(reason, fix) : warn(reason, fix);
    },
    (error) => awsExplain(error, "sns:ListSubscriptionsByTopic", topicArn, `the alarm topic does not exist: apply ${inv.environment}-aws`),
  );
}

/** Access denied names the action and resource; not-found says what creates the resource. */
function awsExplain(error: unknown, action: string, resource: string, notFound: string): { reason: string; fix: string } {
  const e = error as { name?: string; message?: string };
  const name = e?.name ?? "Error";
  if (/AccessDenied|AuthorizationError/.test(name)) {
    return { reason: `access denied: ${action} on ${resource}: ${e.message ?? name}`, fix: `allow ${action} on ${resource} for the role running verify ${POLICY_HINT}` };
  }
  if (/ResourceNotFound|NotFound/.test(name)) return { reason: `${resource} not found (${name})`, fix: notFound };
  const network = unreachable(error);
  if (network) return network;
  return { reason: `${action} on ${resource} failed: ${name}: ${(e?.message ?? String(error)).slice(0, 300)}`, fix: "run verify again; if it persists, check the AWS service health for the region" };
}
