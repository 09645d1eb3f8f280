/**
 * Helpers of the self-test tests: the request `npm run verify` sends and a look-up of one
 * check in the response (functions/shared/self-test.ts has the contract).
 */
import { randomUUID } from "node:crypto";
import type { SelfTestCheckResult, SelfTestRequest, SelfTestResponse } from "../../functions/shared/self-test";

/** A well-formed request with a fresh run id. */
export function selfTestRequest(runId = `run-${randomUUID()}`): SelfTestRequest {
  return { gcvSelfTest: { version: 1, runId } };
}

/** The named check's result; fails the test if the response lacks it. */
export function checkOf(response: SelfTestResponse, name: string): SelfTestCheckResult {
  const check = response.gcvSelfTest.checks.find((c) => c.name === name);
  if (!check) throw new Error(`no check "${name}" in ${JSON.stringify(response.gcvSelfTest.checks.map((c) => c.name))}`);
  return check;
}

/** Names of the checks that failed (skipped ones excluded). */
export function failedChecks(response: SelfTestResponse): string[] {
  return response.gcvSelfTest.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name);
}
