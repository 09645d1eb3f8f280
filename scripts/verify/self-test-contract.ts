/**
 * The self-test contract (version 1) between `npm run verify` and the functions: one
 * declaration, in functions/shared/self-test.ts (no runtime imports there); verify adds
 * the check of an answer's shape.
 */

import { SELF_TEST_KEY, SELF_TEST_VERSION } from "../../functions/shared/self-test";

export { SELF_TEST_KEY, SELF_TEST_RUN_ID_PATTERN, SELF_TEST_VERSION, type SelfTestCheckResult, type SelfTestRequest, type SelfTestResponse } from "../../functions/shared/self-test";

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
