/**
 * Checks several functions' self-tests share (self-test.ts runs them): a secret's
 * fields, a fresh Genesys login, a Genesys permission probe that changes nothing.
 */
import { randomUUID } from "node:crypto";
import { requireEnv, type EnvironmentVariable } from "./config";
import { GenesysClientError, type GenesysClient, type HttpMethod } from "./genesys-client";
import type { LambdaContext } from "./lambda-types";
import { errorFields, logger } from "./logger";
import { getSecretFields } from "./secrets";
import { CheckFailure, parseSelfTestRequest, runSelfTest, type SelfTestCheck, type SelfTestResponse } from "./self-test";

/**
 * Answers a direct self-test invocation: validates the request, runs the checks and
 * logs the outcome (check names, reasons: never a secret).
 * @throws SelfTestRequestError the request is malformed
 * @example if (isSelfTestInvocation(event)) return answerSelfTest(event, context, (runId) => checksOf(runId));
 */
export async function answerSelfTest(event: unknown, context: LambdaContext, checks: (runId: string) => SelfTestCheck[]): Promise<SelfTestResponse> {
  let request: { runId: string };
  try {
    request = parseSelfTestRequest(event);
  } catch (error) {
    logger.error("self-test request refused", errorFields(error));
    throw error;
  }
  const response = await runSelfTest(context.functionName, request, checks(request.runId));
  const { ok, checks: results } = response.gcvSelfTest;
  logger[ok ? "info" : "error"](ok ? "self-test passed" : "self-test failed", { runId: request.runId, selfTestChecks: results });
  return response;
}

/** Name of the Genesys login check (other checks run after it). */
export const GENESYS_LOGIN_CHECK = "genesys login";

/**
 * The secret named by the variable `secretArn` is readable and holds non-empty string
 * `fields`; the check names missing fields only, never a value. Reads the current version.
 */
export function secretFieldsCheck(name: string, secretArn: EnvironmentVariable, fields: readonly string[]): SelfTestCheck {
  return {
    name,
    run: async () => {
      await getSecretFields(requireEnv(secretArn), fields, { forceFetch: true });
    },
    fix: (kind) =>
      kind === "secret" ? `the secret that ${secretArn} names must be a JSON object with the string fields ${fields.join(", ")}; the function's role needs secretsmanager:GetSecretValue on it` : undefined,
  };
}

/** A fresh client-credentials login with the function's own Genesys client. */
export function genesysLoginCheck(genesys: () => GenesysClient, after: string[] = []): SelfTestCheck {
  return { name: GENESYS_LOGIN_CHECK, after, run: () => genesys().loginNow() };
}

/** A conversation id no conversation has (a random UUID). */
export function unknownConversationId(): string {
  return randomUUID();
}

/**
 * Proves a Genesys permission without changing data: a request on an id that does not
 * exist. Genesys checks permissions before it looks the object up, so 404 proves the
 * permission and 403 disproves it (an assumption: docs/operations.md, Self-tests).
 * A 2xx also proves it (the object unexpectedly existed; the request changes nothing).
 */
export function genesysPermissionProbe(
  name: string,
  genesys: () => GenesysClient,
  request: { method: HttpMethod; path: string; body?: unknown },
  permission: string,
): SelfTestCheck {
  return {
    name,
    after: [GENESYS_LOGIN_CHECK],
    run: async () => {
      try {
        await genesys().request(request.method, request.path, { body: request.body });
      } catch (error) {
        if (error instanceof GenesysClientError && error.status === 404) return;
        if (error instanceof GenesysClientError && error.status === 403) {
          throw new CheckFailure(`Genesys refused ${request.method} ${request.path.replace(/[0-9a-f-]{36}/g, "<unknown id>")}: ${error.message}`, `add ${permission} to the role of this function's Genesys OAuth client`);
        }
        throw error;
      }
    },
  };
}
