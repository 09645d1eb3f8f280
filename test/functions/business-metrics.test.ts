/**
 * Business metrics of the webhook receiver, from its bundle's EMF lines (the
 * archiver's and the dispatcher's are checked in their own tests, the shape in
 * shared/metrics.test.ts).
 */
import { randomUUID } from "node:crypto";
import { bundleFunction } from "../../lib/bundling";
import { emfTotals } from "../support/emf";
import { startBundle, type BundleProcess } from "../support/invoke-bundle";
import { startSecretsFake, type SecretsFake } from "../support/secrets-fake";

const NAMESPACE = "GenesysVault/test";
const SECRET = "s".repeat(40);
let secrets: SecretsFake;
let receiver: BundleProcess;

beforeAll(async () => {
  secrets = await startSecretsFake();
  receiver = await startBundle(bundleFunction("webhook-receiver").entry, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    WEBHOOK_SECRET_ARN: secrets.put("webhook", { sharedSecret: SECRET }),
    WEBHOOK_ACTIONS: JSON.stringify([
      { name: "orders", type: "adjustTableCapacity", tableName: "orders", readCapacity: { perSignal: 2, min: 5, max: 200 }, writeCapacity: { perSignal: 1, min: 5, max: 100 }, cooldownSeconds: 300 },
    ]),
    WEBHOOK_STATE_TABLE_NAME: "state",
    POWERTOOLS_SERVICE_NAME: "gcv-test-webhook-receiver",
    POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
  });
});

afterAll(async () => {
  await receiver?.close();
  await secrets?.close();
});

function request(headers: Record<string, string>, body: string, method = "POST") {
  return {
    version: "2.0",
    routeKey: "POST /genesys/events",
    rawPath: "/genesys/events",
    headers,
    requestContext: { requestId: randomUUID(), http: { method, path: "/genesys/events", sourceIp: "203.0.113.7" } },
    body,
    isBase64Encoded: false,
  };
}

test("the webhook receiver counts each answer under its decision, never under caller input", async () => {
  receiver.takeLogs();
  const answers = [
    await receiver.invoke<{ statusCode: number }>(request({ "x-genesys-webhook-secret": "wrong" }, "{}")),
    await receiver.invoke<{ statusCode: number }>(request({ "x-genesys-webhook-secret": SECRET }, "{not json")),
    await receiver.invoke<{ statusCode: number }>(request({ "x-genesys-webhook-secret": SECRET }, JSON.stringify({ action: "x".repeat(500) }))),
    await receiver.invoke<{ statusCode: number }>(request({}, "", "GET")),
  ];
  expect(answers.map((a) => a.statusCode)).toEqual([401, 400, 400, 405]);
  const lines = receiver.takeLogs().filter((l) => l._aws);
  expect(lines.map((l) => l.decision)).toEqual(["unauthorized", "invalid", "invalid", "methodNotAllowed"]);
  expect(emfTotals(lines).totals).toEqual({ WebhookDecisions: 4 });
  expect(JSON.stringify(lines)).not.toContain("xxxxxxxxxx");
});
