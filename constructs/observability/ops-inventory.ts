/**
 * What an operator (the ops CLI, the dashboard, the runbook) needs to find an
 * environment's moving parts, by name. The AWS stack derives it from the
 * resources it actually declares and publishes it as the output `ops_inventory`,
 * so tools read names from the synthesized stack instead of guessing them.
 */

/** One pipeline's buffer queue, its dead-letter queue and its EventBridge routes. */
export interface PipelineInventory {
  /** `transcript-vault`, `interaction` or `config-sync` (the CLI's `--pipeline` / `<queue>` names). */
  readonly id: string;
  /** The buffer queue consumers read (FIFO names end in `.fifo`). */
  readonly queue: string;
  /** Its dead-letter queue; `ops redrive <id>` moves it back into `queue`. */
  readonly deadLetterQueue: string;
  readonly fifo: boolean;
  /** Rules feeding the queue. */
  readonly ruleNames: readonly string[];
  /** The bus of those rules: the Genesys bus, or undefined for the account's default bus. */
  readonly eventBusName?: string;
  /** Events EventBridge could not deliver to the queue, one queue per rule. */
  readonly deliveryDeadLetterQueues: readonly string[];
  /** Functions of the pipeline. */
  readonly functions: readonly string[];
}

export interface OpsInventory {
  readonly environment: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  /** Namespace of the business metrics. */
  readonly metricsNamespace: string;
  /** The Genesys partner event bus and its archive (for replay). */
  readonly eventBusName: string;
  readonly archiveName: string;
  readonly pipelines: readonly PipelineInventory[];
  /** The interaction workflow and the queue its failed events go to. */
  readonly interactionWorkflow: { readonly stateMachineName: string; readonly failureQueue: string };
  /** Every function of the stack. */
  readonly functions: readonly string[];
  /** The vault writer SAS expiry monitor, while the writer uses a SAS. */
  readonly vaultCredentialMonitor?: { readonly functionName: string; readonly warningDays: number };
  /** The scheduled vault reconciler's function, when deployed. */
  readonly vaultReconciler?: string;
  /** The webhook API, when deployed. */
  readonly webhookApiName?: string;
  /** The SNS topic every alarm notifies (`npm run verify` checks its subscriptions are confirmed). */
  readonly alarmTopicName: string;
  /** Functions that answer a self-test invocation (`npm run verify` invokes each). */
  readonly selfTests: readonly string[];
}

/** `arn:<partition>:sns:<region>:<account>:<name>`: the alarm topic's ARN. */
export function alarmTopicArnOf(inv: OpsInventory): string {
  return `arn:${inv.partition}:sns:${inv.region}:${inv.accountId}:${inv.alarmTopicName}`;
}

/** `arn:<partition>:states:<region>:<account>:stateMachine:<name>`: the documented ARN form. */
export function stateMachineArnOf(inv: OpsInventory): string {
  return `arn:${inv.partition}:states:${inv.region}:${inv.accountId}:stateMachine:${inv.interactionWorkflow.stateMachineName}`;
}
