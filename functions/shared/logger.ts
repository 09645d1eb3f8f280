/**
 * Structured JSON logging (Powertools Logger). One logger per process; records
 * processed in parallel each get a child logger carrying their correlation ids, so
 * concurrent records never mix keys.
 *
 * Correlation keys: `eventId` (EventBridge id), `conversationId`, `sqsMessageId`,
 * plus the Lambda request id when `logger.addContext(context)` was called.
 * Service name and level come from POWERTOOLS_SERVICE_NAME and LOG_LEVEL.
 */
import { Logger } from "@aws-lambda-powertools/logger";

/** The process-wide logger. */
export const logger = new Logger();

/** Correlation ids of one unit of work (omit what is unknown). */
export interface CorrelationKeys {
  eventId?: string;
  conversationId?: string;
  sqsMessageId?: string;
  [key: string]: string | undefined;
}

/**
 * A child logger whose every line carries `keys`.
 * @example const log = correlatedLogger({ eventId: event.id, conversationId: event.conversationId }); log.info("archived");
 */
export function correlatedLogger(keys: CorrelationKeys, parent: Logger = logger): Logger {
  const child = parent.createChild();
  const defined = Object.fromEntries(Object.entries(keys).filter(([, value]) => value !== undefined)) as Record<string, string>;
  child.appendPersistentKeys(defined);
  return child;
}

/** What a unit of work logs through: the level methods of a Logger. */
export type CorrelatedLog = Pick<Logger, "debug" | "info" | "warn" | "error">;

const LEVEL_ORDER: Record<string, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, CRITICAL: 5, SILENT: 6 };

/**
 * Like {@link correlatedLogger}, but the child logger is created only when a line is
 * actually written at an enabled level: creating one costs about 90 us, which a hot
 * path (one per SQS record) should not pay for lines the log level drops.
 * @example const log = lazyCorrelatedLogger({ eventId }); log.info("archived"); // no child at LOG_LEVEL=WARN
 */
export function lazyCorrelatedLogger(keys: CorrelationKeys, parent: Logger = logger): CorrelatedLog {
  type Method = (message: string, ...extra: unknown[]) => void;
  let child: Logger | undefined;
  const at =
    (level: "DEBUG" | "INFO" | "WARN" | "ERROR", method: "debug" | "info" | "warn" | "error"): Method =>
    (message, ...extra) => {
      if (LEVEL_ORDER[level]! < (LEVEL_ORDER[parent.getLevelName()] ?? 0)) return;
      child ??= correlatedLogger(keys, parent);
      (child[method] as Method).call(child, message, ...extra);
    };
  return { debug: at("DEBUG", "debug"), info: at("INFO", "info"), warn: at("WARN", "warn"), error: at("ERROR", "error") } as CorrelatedLog;
}

/** Error fields safe to log (name, message, status/code when present); never request bodies or headers. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorMessage: String(error) };
  const extra = error as Error & { status?: unknown; statusCode?: unknown; code?: unknown; retryAfterSeconds?: unknown };
  return {
    errorName: error.name,
    errorMessage: error.message,
    ...(extra.status ?? extra.statusCode ? { status: extra.status ?? extra.statusCode } : {}),
    ...(typeof extra.code === "string" ? { code: extra.code } : {}),
    ...(typeof extra.retryAfterSeconds === "number" ? { retryAfterSeconds: extra.retryAfterSeconds } : {}),
  };
}
