/**
 * The business metrics the functions publish (CloudWatch embedded metric format,
 * namespace `POWERTOOLS_METRICS_NAMESPACE`, one per environment, dimension
 * `service` = the function name). One list, read by the functions and by the
 * dashboard, so a renamed metric cannot leave an empty graph behind.
 */
export const BUSINESS_METRICS = {
  /** Raw events newly written to the vault (duplicates not counted). */
  eventsArchived: "EventsArchived",
  /** Messaging transcripts newly written to the vault. */
  transcriptsArchived: "TranscriptsArchived",
  /** Attachments newly written to the vault. */
  attachmentsArchived: "AttachmentsArchived",
  /** Bytes newly written to the vault (events, transcripts and attachments). */
  bytesArchived: "BytesArchived",
  /** Malformed records written to `quarantine/`. */
  recordsQuarantined: "RecordsQuarantined",
  /** HTTP 429 answers from Genesys (API and login). */
  genesysRateLimited: "GenesysRateLimited",
  /** Genesys requests sent again (after a 429 wait or a 401 re-login). */
  genesysRetries: "GenesysRetries",
  /** Interaction workflow executions started / deliveries recognised as duplicates. */
  executionsStarted: "ExecutionsStarted",
  duplicateDeliveries: "DuplicateDeliveries",
  /** Interaction events applied to Genesys. */
  interactionsApplied: "InteractionsApplied",
  /** Webhook calls, one metric per decision (dimension `decision`). */
  webhookDecisions: "WebhookDecisions",
  /** Genesys configuration writes by config-sync / evaluations that changed nothing (unchanged, cooldown, dry run, already applied). */
  syncWrites: "SyncWrites",
  syncSkips: "SyncSkips",
  /** Days (fractional) before the vault writer credential expires, published on a schedule. */
  vaultCredentialDaysLeft: "VaultCredentialDaysLeft",
  /** Vault reconciler, per run: ended MESSAGE conversations Genesys lists in the window / those with a manifest / those without. */
  conversationsExpected: "ConversationsExpected",
  conversationsArchived: "ConversationsArchived",
  conversationsMissing: "ConversationsMissing",
  /** Missing conversations re-enqueued to the archiver. */
  conversationsBackfilled: "ConversationsBackfilled",
  /** Missing although an earlier backfill of them was archived: the archiver cannot complete them (alarmed). */
  missingAfterBackfill: "MissingAfterBackfill",
  /**
   * Conversations that started on the oldest day the reconciler searches and had not ended by the
   * window's end: when they end they will have lasted longer than it searches back (logged by id).
   */
  conversationsOutlastingSearch: "ConversationsOutlastingSearch",
  /** Backfills SQS kept refusing (the run names them and fails after sending the rest). */
  backfillsFailed: "BackfillsFailed",
} as const;

export type BusinessMetricName = (typeof BUSINESS_METRICS)[keyof typeof BUSINESS_METRICS];

/** The webhook decisions counted under {@link BUSINESS_METRICS.webhookDecisions}. */
export const WEBHOOK_DECISIONS = ["applied", "unchanged", "cooldown", "stale", "duplicate", "busy", "ignored", "unauthorized", "invalid", "tooLarge", "retryLater", "methodNotAllowed", "error"] as const;

/** The CloudWatch namespace of an environment's business metrics, e.g. `GenesysVault/prod`. */
export function metricsNamespace(environment: string): string {
  return `GenesysVault/${environment}`;
}
