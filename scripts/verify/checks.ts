/**
 * One row of `npm run verify`: a named check, run under its own deadline, whose outcome
 * says why it failed and what fixes it. Every check is bounded so a full run stays under 60 s.
 */

/** The outcome of one check, as printed and as in `--json`. */
export interface CheckResult {
  /** `<function>: <self-test check>` or a control-plane check's name. */
  readonly check: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly reason?: string;
  readonly fix?: string;
  /** Not run (does not apply, or its credentials are missing: `reason` says which, `fix` how to provide them). */
  readonly skipped?: boolean;
  /** Passed with a warning (e.g. an unconfirmed subscription in a development environment). */
  readonly warning?: boolean;
}

/** What a check's body returns: pass, fail, skip or warn, with reason and fix. */
export type Outcome = Omit<CheckResult, "check" | "durationMs">;

/** A check failed for a stated reason, with its fix. */
export class CheckFailed extends Error {
  override readonly name = "CheckFailed";
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(reason);
  }
}

export const pass = (reason?: string): Outcome => ({ ok: true, reason });
export const fail = (reason: string, fix: string): Outcome => ({ ok: false, reason, fix });
export const skip = (reason: string, fix?: string): Outcome => ({ ok: true, skipped: true, reason, fix });
export const warn = (reason: string, fix: string): Outcome => ({ ok: true, warning: true, reason, fix });

/** Deadlines (ms): the functions' self-tests run their own checks with 3 s each, after a possible cold start in the VPC. */
export const TIMEOUTS = { selfTest: 40_000, controlPlane: 10_000, http: 10_000, azureSignIn: 15_000 } as const;

/**
 * Runs `body` with an abort signal that fires after `timeoutMs`; rejects with
 * {@link CheckFailed} ("no answer within ...") when the deadline passes first.
 */
export async function withDeadline<T>(timeoutMs: number, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new CheckFailed(`no answer within ${timeoutMs / 1000} s`, "check the network path to the service from this machine, then run verify again");
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([body(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs one check under {@link withDeadline}; a timeout, a thrown {@link CheckFailed} or any
 * other error becomes a failed row (`explain` names it).
 */
export async function runCheck(
  check: string,
  timeoutMs: number,
  body: (signal: AbortSignal) => Promise<Outcome>,
  explain: (error: unknown) => { reason: string; fix: string } = explainError,
): Promise<CheckResult> {
  const started = performance.now();
  try {
    const outcome = await withDeadline(timeoutMs, body);
    return { check, durationMs: elapsed(started), ...outcome };
  } catch (error) {
    const { reason, fix } = error instanceof CheckFailed ? error : explain(error);
    return { check, ok: false, durationMs: elapsed(started), reason, fix };
  }
}

export const elapsed = (started: number) => Math.round(performance.now() - started);

const NETWORK_CODES = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/;

/** The endpoint could not be reached at all (DNS, routing, proxy): no answer to judge. */
export function unreachable(error: unknown): { reason: string; fix: string } | undefined {
  // The SDK wraps a socket error ("AWS SDK error wrapper for Error: connect ECONNREFUSED ..."): match the code where it appears.
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const text = [e?.code, e?.cause?.code, e?.cause?.message, e?.message].filter(Boolean).join(" ");
  if (!NETWORK_CODES.test(text)) return undefined;
  return { reason: `unreachable from this machine: ${(e.cause?.message ?? e.message ?? text).replace(/^AWS SDK error wrapper for Error: /, "")}`, fix: "check DNS and outbound HTTPS from this machine (and the proxy, if this network needs one), then run verify again" };
}

/** A generic explanation: AWS access denied names the missing permission; anything else its name and message. */
export function explainError(error: unknown): { reason: string; fix: string } {
  const network = unreachable(error);
  if (network) return network;
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? "Error";
  const message = (e?.message ?? String(error)).slice(0, 400);
  if (/AccessDenied|AuthorizationError|UnauthorizedOperation/.test(name)) {
    return { reason: `access denied: ${name}: ${message}`, fix: "grant the verify role the permission named in the message (policy: docs/operations.md, Live verification)" };
  }
  return { reason: `${name}: ${message}`, fix: "see docs/operations.md, Live verification, for this check" };
}
