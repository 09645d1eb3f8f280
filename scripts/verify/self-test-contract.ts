/**
 * The self-test contract (version 1) between `npm run verify` and the functions, as the
 * verify CLI needs it: the request it sends and the response it reads. The functions'
 * side lives in functions/shared/self-test.ts under the same names.
 */

/** Top-level key of a self-test request and response. */
export const SELF_TEST_KEY = "gcvSelfTest";
/** Contract version this code speaks. */
export const SELF_TEST_VERSION = 1;
/** What a run id may be: it names the archiver's canary blob. */
export const SELF_TEST_RUN_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The request (invocation payload of a direct `lambda:InvokeFunction`). */
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
  /** Not run: it does not apply here, or a check it needs failed. */
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

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Checks the shape of a response; returns why it is not a version-1 self-test response, or undefined. */
export function selfTestResponseProblem(value: unknown, runId: string): string | undefined {
  const body = isObject(value) ? value[SELF_TEST_KEY] : undefined;
  if (!isObject(body)) return `the answer is not a self-test response (no "${SELF_TEST_KEY}" object)`;
  if (body.version !== SELF_TEST_VERSION) return `the answer speaks self-test version ${JSON.stringify(body.version)}, not ${SELF_TEST_VERSION}`;
  if (body.runId !== runId) return `the answer is for run ${JSON.stringify(body.runId)}, not this run (${runId})`;
  if (typeof body.ok !== "boolean" || !Array.isArray(body.checks)) return `the answer has no "ok" flag or no "checks" list`;
  for (const check of body.checks) {
    if (!isObject(check) || typeof check.name !== "string" || typeof check.ok !== "boolean" || typeof check.durationMs !== "number") {
      return `a check in the answer lacks name, ok or durationMs: ${JSON.stringify(check).slice(0, 200)}`;
    }
  }
  return undefined;
}
