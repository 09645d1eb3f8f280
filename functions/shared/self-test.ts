/**
 * Self-tests: every function proves, under its own role, that its real dependencies
 * answer (Genesys logins and permissions, Azure, AWS resources) without touching
 * business data. `npm run verify` invokes them; docs/operations.md "Self-tests" lists
 * what each function checks and writes.
 *
 * The contract (version 1), shared with the verify CLI, which imports these types:
 * - Request, only by a direct `lambda:InvokeFunction`:
 *   `{"gcvSelfTest": {"version": 1, "runId": "<1-64 of A-Z a-z 0-9 . _ ->"}}`, nothing else.
 * - Response: {@link SelfTestResponse}: one {@link SelfTestCheckResult} per check, `ok` when
 *   every check passed or was skipped on purpose. Reasons name statuses, error codes,
 *   hosts and paths, never a secret value.
 * - A malformed direct request makes the invocation fail with {@link SelfTestRequestError}
 *   (Lambda's `FunctionError` with `errorType` "SelfTestRequestError" and the reason).
 * - A self-test request inside a trigger's payload (an SQS record body, an EventBridge
 *   event or its detail, an HTTP API body) is a malformed business input
 *   ({@link SELF_TEST_VIA_TRIGGER_REASON}): quarantined, dead-lettered or answered 400,
 *   never executed. Only the invocation payload itself can start a self-test, and no
 *   trigger delivers a bare `{"gcvSelfTest": ...}` object as the payload.
 */

/** Top-level key of a self-test request and response. */
export const SELF_TEST_KEY = "gcvSelfTest";
/** Contract version this code speaks. */
export const SELF_TEST_VERSION = 1;
/** What a run id may be: it names the archiver's canary blob. */
export const SELF_TEST_RUN_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Deadline of one check. */
export const SELF_TEST_CHECK_TIMEOUT_MS = 3_000;

/** The request (invocation payload). */
export interface SelfTestRequest {
  gcvSelfTest: { version: typeof SELF_TEST_VERSION; runId: string };
}

/** The result of one check. */
export interface SelfTestCheckResult {
  name: string;
  ok: boolean;
  durationMs: number;
  /** Why it failed (or was skipped): status, error code, host/path; never a secret. */
  reason?: string;
  /** What to change so it passes. */
  fix?: string;
  /**
   * Not run. With `ok: true` it does not apply here (e.g. a sas-only check in federated
   * mode); with `ok: false` a check it needs did not pass (`reason` names it).
   */
  skipped?: boolean;
}

/** The response (invocation result). */
export interface SelfTestResponse {
  gcvSelfTest: {
    version: typeof SELF_TEST_VERSION;
    function: string;
    runId: string;
    ok: boolean;
    checks: SelfTestCheckResult[];
  };
}

/** A direct invocation carried a malformed self-test request. */
export class SelfTestRequestError extends Error {
  override readonly name = "SelfTestRequestError";
}

/** Why a trigger's payload holding a self-test request is refused. */
export const SELF_TEST_VIA_TRIGGER_REASON =
  "a self-test request (gcvSelfTest) arrived through a trigger; self-tests run only on a direct lambda:InvokeFunction (npm run verify), never from a queue, a bus or the HTTP API";

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** True when the invocation payload is a self-test request (well-formed or not): the handler must not treat it as a trigger's event. */
export function isSelfTestInvocation(event: unknown): boolean {
  return isObject(event) && Object.hasOwn(event, SELF_TEST_KEY);
}

/**
 * True when a trigger's payload (a parsed SQS body, an EventBridge event, an HTTP body)
 * carries a self-test request at its top or in its `detail`.
 */
export function carriesSelfTestRequest(payload: unknown): boolean {
  return isSelfTestInvocation(payload) || (isObject(payload) && isSelfTestInvocation(payload.detail));
}

/**
 * Validates a direct self-test request.
 * @throws SelfTestRequestError with the reason
 */
export function parseSelfTestRequest(event: unknown): { runId: string } {
  if (!isObject(event)) throw new SelfTestRequestError("a self-test request must be a JSON object");
  const extra = Object.keys(event).filter((key) => key !== SELF_TEST_KEY);
  if (extra.length) throw new SelfTestRequestError(`a self-test request holds only "${SELF_TEST_KEY}", got also: ${extra.slice(0, 5).join(", ")}`);
  const body = event[SELF_TEST_KEY];
  if (!isObject(body)) throw new SelfTestRequestError(`"${SELF_TEST_KEY}" must be an object {"version": ${SELF_TEST_VERSION}, "runId": "..."}`);
  if (body.version !== SELF_TEST_VERSION) {
    throw new SelfTestRequestError(`${SELF_TEST_KEY}.version ${JSON.stringify(body.version) ?? "(missing)"} is not supported: this function speaks version ${SELF_TEST_VERSION}`);
  }
  if (typeof body.runId !== "string" || !SELF_TEST_RUN_ID_PATTERN.test(body.runId)) {
    throw new SelfTestRequestError(`${SELF_TEST_KEY}.runId must be 1-64 letters, digits, ".", "_" or "-"`);
  }
  return { runId: body.runId };
}

/** A check failed with a reason and a fix it states itself. */
export class CheckFailure extends Error {
  override readonly name = "CheckFailure";
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(reason);
  }
}

/** A check that does not apply here (reported as skipped, not failed). */
export class CheckNotApplicable extends Error {
  override readonly name = "CheckNotApplicable";
}

/** One check of a function's self-test. */
export interface SelfTestCheck {
  name: string;
  /** Names of checks that must pass first; if one did not, this one is skipped. */
  after?: string[];
  /** @default SELF_TEST_CHECK_TIMEOUT_MS */
  timeoutMs?: number;
  /** Throws on failure ({@link CheckFailure} for a stated reason and fix, {@link CheckNotApplicable} to skip). */
  run(signal: AbortSignal): Promise<void>;
  /** The fix for an error {@link explainFailure} recognises (e.g. which permission to grant). */
  fix?: (failure: FailureKind) => string | undefined;
}

/**
 * Runs `checks` (in parallel, each after those it names) and builds the response.
 * @example return runSelfTest(context.functionName, parseSelfTestRequest(event), [{ name: "x", run: async () => {} }]);
 */
export async function runSelfTest(functionName: string, request: { runId: string }, checks: SelfTestCheck[]): Promise<SelfTestResponse> {
  const results = new Map<string, Promise<SelfTestCheckResult>>();
  for (const check of checks) results.set(check.name, runOne(check, results));
  const done = await Promise.all(checks.map((check) => results.get(check.name)!));
  return {
    gcvSelfTest: { version: SELF_TEST_VERSION, function: functionName, runId: request.runId, ok: done.every((c) => c.ok), checks: done },
  };
}

async function runOne(check: SelfTestCheck, results: Map<string, Promise<SelfTestCheckResult>>): Promise<SelfTestCheckResult> {
  for (const name of check.after ?? []) {
    const before = await results.get(name);
    if (!before?.ok) return { name: check.name, ok: false, skipped: true, durationMs: 0, reason: `not run: "${name}" did not pass` };
    // What depends on a check that does not apply here does not apply either.
    if (before.skipped) return { name: check.name, ok: true, skipped: true, durationMs: 0, reason: `not run: "${name}" does not apply (${before.reason ?? ""})` };
  }
  const timeoutMs = check.timeoutMs ?? SELF_TEST_CHECK_TIMEOUT_MS;
  const controller = new AbortController();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new CheckTimeout(`no answer within ${timeoutMs} ms`);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Whichever settles first (the check's own abort error or this), the reason is the deadline.
      controller.abort(timeout);
      reject(timeout);
    }, timeoutMs);
  });
  try {
    await Promise.race([check.run(controller.signal), deadline]);
    return { name: check.name, ok: true, durationMs: elapsed(started) };
  } catch (thrown) {
    const error = controller.signal.aborted ? timeout : thrown;
    if (error instanceof CheckNotApplicable) return { name: check.name, ok: true, skipped: true, durationMs: elapsed(started), reason: error.message };
    const { reason, fix, kind } = explainFailure(error);
    return { name: check.name, ok: false, durationMs: elapsed(started), reason, fix: check.fix?.(kind) ?? fix };
  } finally {
    clearTimeout(timer);
  }
}

class CheckTimeout extends Error {
  override readonly name = "CheckTimeout";
}

const elapsed = (started: number) => Math.round(performance.now() - started);

/** What kind of refusal an error is, so a check can say which permission to grant. */
export type FailureKind =
  | "aws-access-denied"
  | "aws-not-found"
  | "azure-firewall"
  | "azure-permission"
  | "azure-authentication"
  | "entra-refused"
  | "sts-refused"
  | "genesys-forbidden"
  | "genesys-login"
  | "secret"
  | "timeout"
  | "stated"
  | "other";

/**
 * A reason (status, code, host/path: no secret) and a generic fix for a check's error.
 * Sources of the codes: docs/operations.md "Self-tests".
 */
export function explainFailure(error: unknown): { reason: string; fix: string; kind: FailureKind } {
  if (error instanceof CheckFailure) return { reason: error.reason, fix: error.fix, kind: "stated" };
  if (!(error instanceof Error)) return { reason: String(error), fix: "see the function's log", kind: "other" };
  if (error.name === "CheckTimeout") {
    return { reason: error.message, fix: "the dependency did not answer in time: check the VPC route (NAT), the endpoint's host and its health", kind: "timeout" };
  }
  const e = error as Error & { status?: number; statusCode?: number; code?: string; $metadata?: { httpStatusCode?: number } };
  const message = oneLine(error.message);
  // AWS SDK v3 service errors.
  if (e.$metadata) {
    const status = e.$metadata.httpStatusCode;
    const reason = `${error.name}${status ? ` (HTTP ${status})` : ""}: ${message}`;
    if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(error.name)) {
      return { reason, fix: "grant the function's role the action named in the reason, on that resource (docs/operations.md, Self-tests)", kind: "aws-access-denied" };
    }
    if (/NotFound|DoesNotExist/i.test(error.name)) return { reason, fix: "the resource the function is configured with does not exist: re-apply <env>-aws", kind: "aws-not-found" };
    return { reason, fix: "see the AWS error code in the reason", kind: "other" };
  }
  if (error.name === "VaultCredentialError") {
    if (/Entra ID refused/.test(message)) return { reason: message, fix: entraFix(message), kind: "entra-refused" };
    if (/GetWebIdentityToken/.test(message)) {
      return {
        reason: message,
        fix: /AccessDenied/.test(message)
          ? "grant the function's role sts:GetWebIdentityToken for audience api://AzureADTokenExchange (re-apply <env>-aws)"
          : "see the STS error in the reason (outbound identity federation must be enabled once per account: docs/security.md)",
        kind: "sts-refused",
      };
    }
    return { reason: message, fix: "check that the function reaches the Entra ID token endpoint (NAT route)", kind: "other" };
  }
  if (error.name === "VaultError" || error.name === "RestError") {
    const code = e.code ?? "";
    const status = e.status ?? e.statusCode;
    if (status === 403 && code === "AuthorizationFailure") {
      return { reason: message, fix: "the Azure storage firewall refused the request (AuthorizationFailure): the NAT IPs must be in the account's ip_rules (re-apply <env>-azure after a NAT change)", kind: "azure-firewall" };
    }
    if (status === 403 && code === "AuthorizationSourceIPMismatch") {
      return { reason: message, fix: "the SAS allows other source IPs than the NAT IPs: re-issue it (re-apply <env>-azure)", kind: "azure-firewall" };
    }
    if (status === 403 && /^Authorization.*Mismatch$/.test(code)) {
      return { reason: message, fix: "the credential lacks this permission: check the identity's role assignment on the vault container (or the SAS permissions); re-apply <env>-azure", kind: "azure-permission" };
    }
    if (status === 403 || status === 401) {
      return { reason: message, fix: "Azure did not accept the credential (expired, revoked or for another account): rotate it by re-applying <env>-azure", kind: "azure-authentication" };
    }
    return { reason: message, fix: "see the Azure status and error code in the reason", kind: "other" };
  }
  if (error.name === "GenesysClientError" && e.status === 403) {
    return { reason: message, fix: "add the permission named in the reason to the role of this function's Genesys OAuth client", kind: "genesys-forbidden" };
  }
  if (error.name === "GenesysRateLimitedError") {
    return { reason: message, fix: "the Genesys client is rate limited (other work shares its budget): run the self-test again later", kind: "other" };
  }
  if (error.name === "GenesysTransientError") {
    return { reason: message, fix: "Genesys did not answer properly (network, 5xx): check the NAT route and Genesys status, then run again", kind: "other" };
  }
  if (error.name === "GenesysAuthError") {
    return { reason: message, fix: "Genesys refused the client credentials: check clientId and clientSecret in the function's Genesys secret and that the OAuth client is active", kind: "genesys-login" };
  }
  if (error.name === "SecretError") return { reason: message, fix: "fill the secret with the fields named in the reason (docs/configuration.md)", kind: "secret" };
  if (error.name === "ConfigError") return { reason: message, fix: "fix the function's environment (re-apply <env>-aws)", kind: "other" };
  return { reason: `${error.name}: ${message}`, fix: "see the function's log", kind: "other" };
}

/** The fix for an Entra refusal, from its AADSTS code. */
function entraFix(message: string): string {
  const code = /AADSTS(\d+)/.exec(message)?.[1];
  const fic = "the Entra application's federated identity credential must name the AWS account's issuer URL, the function role's ARN as subject and api://AzureADTokenExchange as audience (re-apply <env>-azure)";
  switch (code) {
    case "70021":
      return `Entra refused: no federated credential matches the assertion's issuer, subject and audience (AADSTS70021); ${fic}`;
    case "700211":
      return `Entra refused: issuer mismatch (AADSTS700211); ${fic}`;
    case "700212":
      return `Entra refused: audience mismatch (AADSTS700212); ${fic}`;
    case "700213":
      return `Entra refused: subject mismatch (AADSTS700213): the function runs under another role than the credential names; ${fic}`;
    case "700016":
      return "Entra refused: the application (clientId in the vault secret) does not exist in the tenant (AADSTS700016): re-apply <env>-azure and refill the secret";
    default:
      return `Entra refused the assertion${code ? ` (AADSTS${code})` : ""}; ${fic}`;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, " ").slice(0, 500);
}
