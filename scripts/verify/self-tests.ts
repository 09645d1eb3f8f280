/**
 * Invokes every function's self-test in parallel (a direct `lambda:InvokeFunction`, the only
 * way a self-test can start) and turns each answer into rows `<function>: <check>`.
 */
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { type CheckResult, CheckFailed, elapsed, explainError, TIMEOUTS, withDeadline } from "./checks";
import { SELF_TEST_KEY, SELF_TEST_VERSION, type SelfTestRequest, type SelfTestResponse, selfTestResponseProblem } from "./self-test-contract";

export interface SelfTestTarget {
  readonly functionName: string;
  /** `arn:<partition>:lambda:<region>:<account>:function:<name>`, for the fix of an access denial. */
  readonly functionArn: string;
  /** The environment, for the fixes (`re-apply <env>-aws`). */
  readonly environment: string;
}

/** Runs the self-test of each target at once; one row per check of each answer, or one failed row per function that did not answer. */
export async function selfTests(lambda: LambdaClient, targets: readonly SelfTestTarget[], runId: string, timeoutMs: number = TIMEOUTS.selfTest): Promise<CheckResult[]> {
  const rows = await Promise.all(targets.map((t) => selfTest(lambda, t, runId, timeoutMs)));
  return rows.flat();
}

async function selfTest(lambda: LambdaClient, target: SelfTestTarget, runId: string, timeoutMs: number): Promise<CheckResult[]> {
  const { functionName: fn } = target;
  const started = performance.now();
  const failed = (reason: string, fix: string): CheckResult[] => [{ check: `${fn}: self-test`, ok: false, durationMs: elapsed(started), reason, fix }];
  const request: SelfTestRequest = { [SELF_TEST_KEY]: { version: SELF_TEST_VERSION, runId } };
  let answer: { FunctionError?: string; Payload?: Uint8Array };
  try {
    answer = await withDeadline(timeoutMs, (abortSignal) =>
      lambda.send(new InvokeCommand({ FunctionName: fn, InvocationType: "RequestResponse", Payload: Buffer.from(JSON.stringify(request)) }), { abortSignal }),
    );
  } catch (error) {
    const { reason, fix } = invokeFailure(error, target);
    return failed(reason, fix);
  }
  const text = answer.Payload ? Buffer.from(answer.Payload).toString("utf8") : "";
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    return failed(`the answer is not JSON: ${text.slice(0, 200)}`, `deploy this version of ${target.environment}-aws: the function predates self-tests`);
  }
  if (answer.FunctionError) {
    const e = body as { errorType?: string; errorMessage?: string } | undefined;
    const reason = `the invocation failed (${answer.FunctionError}): ${e?.errorType ?? "Error"}: ${(e?.errorMessage ?? text).slice(0, 400)}`;
    return failed(
      reason,
      e?.errorType === "SelfTestRequestError"
        ? `the function refused the request: deploy the same version of ${target.environment}-aws as this CLI`
        : `read the function's log group /aws/lambda/${fn} for the error, fix it, then run verify again`,
    );
  }
  const problem = selfTestResponseProblem(body, runId);
  if (problem) return failed(problem, `deploy this version of ${target.environment}-aws: the function does not answer self-tests (or speaks another version)`);
  const { checks, ok } = (body as SelfTestResponse)[SELF_TEST_KEY];
  const rows: CheckResult[] = checks.map((c) => ({ check: `${fn}: ${c.name}`, ok: c.ok, durationMs: c.durationMs, reason: c.reason, fix: c.fix, skipped: c.skipped }));
  if (!ok && rows.every((r) => r.ok)) rows.push({ check: `${fn}: self-test`, ok: false, durationMs: elapsed(started), reason: "the function reported its self-test failed without a failing check", fix: `read /aws/lambda/${fn}` });
  return rows;
}

function invokeFailure(error: unknown, target: SelfTestTarget): { reason: string; fix: string } {
  if (error instanceof CheckFailed) return { reason: error.reason, fix: `the function did not answer in time: read /aws/lambda/${target.functionName} (a cold start in the VPC, or a dependency that hangs)` };
  const e = error as { name?: string; message?: string };
  if (/AccessDenied/.test(e?.name ?? "")) {
    return { reason: `access denied: lambda:InvokeFunction on ${target.functionArn}: ${e.message ?? ""}`.trim(), fix: `allow lambda:InvokeFunction on ${target.functionArn} for the role running verify (docs/operations.md, Live verification)` };
  }
  if (e?.name === "ResourceNotFoundException") {
    return { reason: `function ${target.functionName} does not exist in this account and region`, fix: `apply ${target.environment}-aws, and check that your credentials are for the environment's account` };
  }
  return explainError(error);
}
