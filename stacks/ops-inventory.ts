import type { PipelineFunction } from "../constructs/compute/pipeline-function";
import type { BufferedQueue } from "../constructs/messaging/buffered-queue";
import type { EventRoute } from "../constructs/messaging/event-route";
import type { OpsInventory, PipelineInventory } from "../constructs/observability/ops-inventory";
import { metricsNamespace } from "../functions/shared/metric-names";
import type { AwsStack } from "./aws-stack";

/** A name given to a resource at synth (a literal, never a token). */
function literal(value: string | undefined, what: string): string {
  if (!value || value.includes("${")) throw new Error(`ops inventory: ${what} has no literal name`);
  return value;
}

/**
 * `routes` are the pipeline's rules on `eventBusName` (what `replay` scopes to); `internalRoutes`
 * are rules on the default bus that feed the same queue (only their delivery DLQs are listed).
 */
function pipeline(
  id: string,
  buffer: BufferedQueue,
  routes: readonly EventRoute[],
  functions: readonly PipelineFunction[],
  eventBusName?: string,
  internalRoutes: readonly EventRoute[] = [],
): PipelineInventory {
  return {
    id,
    queue: literal(buffer.queue.nameInput, `${id} queue`),
    deadLetterQueue: literal(buffer.deadLetterQueue.nameInput, `${id} DLQ`),
    fifo: buffer.queue.fifoQueueInput === true,
    ruleNames: routes.map((r) => literal(r.rule.nameInput, `${id} rule`)),
    eventBusName,
    deliveryDeadLetterQueues: [...routes, ...internalRoutes].map((r) => literal(r.deliveryDeadLetterQueue.nameInput, `${id} delivery DLQ`)),
    functions: functions.map((f) => literal(f.fn.functionNameInput, `${id} function`)),
  };
}

/** The stack's operational names, read from the resources it declares. */
export function opsInventoryOf(stack: AwsStack): OpsInventory {
  const env = stack.env;
  const bus = literal(stack.eventBus.bus.nameInput, "event bus");
  const pipelines = [
    pipeline("transcript-vault", stack.transcriptVault.buffer, [stack.transcriptVault.route], [stack.transcriptVault.archiver], bus),
    pipeline("interaction", stack.interaction.buffer, [stack.interaction.route], [stack.interaction.dispatcher, stack.interaction.processor], bus, [stack.interaction.endedExecutionsRoute]),
    ...(stack.configSync ? [pipeline("config-sync", stack.configSync.buffer, stack.configSync.routes, [stack.configSync.syncFunction])] : []),
  ];
  const fnName = (f: PipelineFunction) => literal(f.fn.functionNameInput, "function");
  const selfTests = [stack.transcriptVault.archiver, stack.transcriptVault.reconciler?.fn, stack.interaction.dispatcher, stack.interaction.processor, stack.configSync?.syncFunction, stack.webhook?.receiver].filter(
    (f): f is PipelineFunction => f !== undefined,
  );
  const extraFunctions = [stack.transcriptVault.reconciler?.fn, stack.webhook?.receiver, stack.credentialExpiry?.monitor].filter((f): f is PipelineFunction => f !== undefined);
  return {
    environment: env.name,
    accountId: env.aws.accountId,
    region: env.aws.region,
    partition: stack.partition,
    metricsNamespace: metricsNamespace(env.name),
    eventBusName: bus,
    archiveName: literal(stack.eventBus.archive.nameInput, "event archive"),
    pipelines,
    interactionWorkflow: {
      stateMachineName: literal(stack.interaction.stateMachine.nameInput, "interaction workflow"),
      failureQueue: literal(stack.interaction.failureQueue.nameInput, "failure queue"),
    },
    functions: [...pipelines.flatMap((p) => p.functions), ...extraFunctions.map(fnName)],
    vaultCredentialMonitor: stack.credentialExpiry
      ? { functionName: literal(stack.credentialExpiry.monitor.fn.functionNameInput, "credential monitor"), warningDays: stack.credentialExpiry.warningDays }
      : undefined,
    vaultReconciler: stack.transcriptVault.reconciler ? literal(stack.transcriptVault.reconciler.fn.fn.functionNameInput, "vault reconciler") : undefined,
    webhookApiName: stack.webhook ? literal(stack.webhook.api.nameInput, "webhook API") : undefined,
    alarmTopicName: literal(stack.alarmTopic.topic.nameInput, "alarm topic"),
    selfTests: selfTests.map(fnName),
  };
}
