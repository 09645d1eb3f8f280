/**
 * The self-test contract (functions/shared/self-test.ts) without a function around it:
 * request validation, deadlines, ordering between checks, and how failures are explained.
 */
import { RestError } from "@azure/storage-blob";
import {
  carriesSelfTestRequest,
  CheckFailure,
  CheckNotApplicable,
  explainFailure,
  isSelfTestInvocation,
  parseSelfTestRequest,
  runSelfTest,
  SelfTestRequestError,
} from "../../../functions/shared/self-test";
import { VaultCredentialError } from "../../../functions/shared/federated-credential";

test("only a bare {gcvSelfTest: {version: 1, runId}} is a valid request; every other shape is refused with the reason", () => {
  expect(parseSelfTestRequest({ gcvSelfTest: { version: 1, runId: "run-1.a_b" } })).toEqual({ runId: "run-1.a_b" });
  const refused = (event: unknown) => {
    try {
      parseSelfTestRequest(event);
    } catch (error) {
      expect(error).toBeInstanceOf(SelfTestRequestError);
      return (error as Error).message;
    }
    throw new Error("accepted");
  };
  expect(refused({ gcvSelfTest: { version: 1, runId: "x" }, Records: [] })).toBe('a self-test request holds only "gcvSelfTest", got also: Records');
  expect(refused({ gcvSelfTest: "run" })).toMatch(/must be an object/);
  expect(refused({ gcvSelfTest: { runId: "x" } })).toMatch(/version \(missing\) is not supported/);
  expect(refused({ gcvSelfTest: { version: 1, runId: "a/b" } })).toMatch(/runId must be 1-64/);
  expect(refused({ gcvSelfTest: { version: 1, runId: "x".repeat(65) } })).toMatch(/runId must be 1-64/);
});

test("a trigger's payload is recognised as carrying a self-test at its top or in its detail, nowhere else", () => {
  expect(isSelfTestInvocation({ gcvSelfTest: {} })).toBe(true);
  expect(isSelfTestInvocation({ Records: [] })).toBe(false);
  expect(carriesSelfTestRequest({ gcvSelfTest: {} })).toBe(true);
  expect(carriesSelfTestRequest({ "detail-type": "x", detail: { gcvSelfTest: {} } })).toBe(true);
  expect(carriesSelfTestRequest({ detail: { eventBody: { gcvSelfTest: {} } } })).toBe(false);
  expect(carriesSelfTestRequest([{ gcvSelfTest: {} }])).toBe(false);
});

test("a hanging check ends at its deadline with the reason; what depends on it is skipped and the run is not ok", async () => {
  const started = Date.now();
  const response = await runSelfTest("fn", { runId: "r" }, [
    { name: "hangs", timeoutMs: 50, run: (signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))) },
    { name: "after it", after: ["hangs"], run: async () => undefined },
    { name: "independent", run: async () => undefined },
  ]);

  expect(Date.now() - started).toBeLessThan(1_000);
  expect(response.gcvSelfTest).toMatchObject({ version: 1, function: "fn", runId: "r", ok: false });
  expect(response.gcvSelfTest.checks).toEqual([
    { name: "hangs", ok: false, durationMs: expect.any(Number), reason: "no answer within 50 ms", fix: expect.stringMatching(/did not answer in time/) },
    { name: "after it", ok: false, skipped: true, durationMs: 0, reason: 'not run: "hangs" did not pass' },
    { name: "independent", ok: true, durationMs: expect.any(Number) },
  ]);
});

test("a check that does not apply is skipped as ok, and so are the checks after it; a stated failure keeps its reason and fix", async () => {
  const response = await runSelfTest("fn", { runId: "r" }, [
    { name: "sas only", run: async () => Promise.reject(new CheckNotApplicable("applies in sas mode")) },
    { name: "after", after: ["sas only"], run: async () => Promise.reject(new Error("must not run")) },
    { name: "stated", run: async () => Promise.reject(new CheckFailure("the reason", "the fix")), fix: () => "not used" },
  ]);

  expect(response.gcvSelfTest.checks).toEqual([
    { name: "sas only", ok: true, skipped: true, durationMs: expect.any(Number), reason: "applies in sas mode" },
    { name: "after", ok: true, skipped: true, durationMs: 0, reason: 'not run: "sas only" does not apply (applies in sas mode)' },
    { name: "stated", ok: false, durationMs: expect.any(Number), reason: "the reason", fix: "not used" },
  ]);
  expect(response.gcvSelfTest.ok).toBe(false);
});

test("failures are classified by service and code so each check can say what to grant", () => {
  const aws = Object.assign(new Error("User: x is not authorized to perform: states:DescribeStateMachine"), { name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
  expect(explainFailure(aws)).toMatchObject({ kind: "aws-access-denied", reason: "AccessDeniedException (HTTP 400): User: x is not authorized to perform: states:DescribeStateMachine" });
  const azure = (code: string) => Object.assign(new Error(`refused: 403 ${code}`), { name: "VaultError", status: 403, code });
  expect(explainFailure(azure("AuthorizationFailure")).kind).toBe("azure-firewall");
  expect(explainFailure(azure("AuthorizationSourceIPMismatch")).kind).toBe("azure-firewall");
  expect(explainFailure(azure("AuthorizationPermissionMismatch")).kind).toBe("azure-permission");
  expect(explainFailure(azure("AuthenticationFailed")).kind).toBe("azure-authentication");
  expect(explainFailure(new RestError("x", { statusCode: 403, code: "AuthorizationFailure" })).kind).toBe("azure-firewall");
  const entra = (code: string) => explainFailure(new VaultCredentialError(`Entra ID refused the token request for application a (HTTP 400 invalid_client): AADSTS${code}: ...`, false));
  expect(entra("70021").fix).toMatch(/^Entra refused: no federated credential matches .* \(AADSTS70021\)/);
  expect(entra("700211").fix).toMatch(/^Entra refused: issuer mismatch/);
  expect(entra("700213").fix).toMatch(/^Entra refused: subject mismatch/);
  expect(explainFailure(Object.assign(new Error("GET /x: HTTP 403 missing.permissions"), { name: "GenesysClientError", status: 403 })).kind).toBe("genesys-forbidden");
});
