import { bundleFunction } from "../../../lib/bundling";
import { emfTotals } from "../../support/emf";
import { BundleInvocationError, startBundle, type BundleProcess } from "../../support/invoke-bundle";
import { startSecretsFake, type SecretsFake } from "../../support/secrets-fake";

const SAS = "sv=2024-08-04&sp=cw&sig=secret-signature-value";
let secrets: SecretsFake;
let monitor: BundleProcess;
let secretArn: string;

beforeAll(async () => {
  secrets = await startSecretsFake();
  secretArn = secrets.put("vault-writer", { blobEndpoint: "https://x.blob.core.windows.net", containerName: "vault", sasToken: SAS, expiresOn: new Date(Date.now() + 10 * 86_400_000).toISOString() });
  monitor = await startBundle(bundleFunction("credential-expiry").entry, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AZURE_VAULT_SECRET_ARN: secretArn,
    POWERTOOLS_SERVICE_NAME: "gcv-test-credential-expiry",
    POWERTOOLS_METRICS_NAMESPACE: "GenesysVault/test",
  });
});

afterAll(async () => {
  await monitor?.close();
  await secrets?.close();
});

const invoke = () => monitor.invoke<{ expiresOn: string; daysLeft: number }>({ source: "aws.events", "detail-type": "Scheduled Event" });

test("publishes the days left on the writer SAS, read fresh from the secret on every run", async () => {
  monitor.takeLogs();
  expect((await invoke()).daysLeft).toBeCloseTo(10, 1);
  // A rotation (new version) shows at the next run, not after a cache period.
  const rotated = new Date(Date.now() + 29.5 * 86_400_000).toISOString();
  secrets.put("vault-writer", { blobEndpoint: "https://x.blob.core.windows.net", containerName: "vault", sasToken: SAS, expiresOn: rotated });
  expect(await invoke()).toEqual({ expiresOn: rotated, daysLeft: 29.5 });
  const logs = monitor.takeLogs();
  const metrics = emfTotals(logs);
  expect(metrics.namespaces).toEqual(["GenesysVault/test"]);
  expect(metrics.totals.VaultCredentialDaysLeft).toBeCloseTo(39.5, 1);
  expect(JSON.stringify(logs)).not.toContain("secret-signature-value");
});

test("an expired credential still publishes its (negative) days, so the alarm fires, and logs an error", async () => {
  secrets.put("vault-writer", { sasToken: SAS, expiresOn: new Date(Date.now() - 2 * 86_400_000).toISOString() });
  monitor.takeLogs();
  expect((await invoke()).daysLeft).toBeCloseTo(-2, 1);
  const logs = monitor.takeLogs();
  expect(emfTotals(logs).totals.VaultCredentialDaysLeft).toBeLessThan(0);
  // Powertools writes ERROR lines to stderr.
  expect(monitor.stderr()).toContain('"message":"vault writer credential has expired"');
});

test.each([
  ["no expiresOn", { sasToken: SAS }, /no valid expiresOn \(got undefined\)/],
  ["an unparseable expiresOn", { sasToken: SAS, expiresOn: "next tuesday" }, /no valid expiresOn \(got "next tuesday"\)/],
  ["a value that is not JSON", "not json", /is not JSON/],
])("a secret with %s fails the run and publishes nothing (missing data breaches the alarm)", async (_what, value, message) => {
  secrets.put("vault-writer", value as never);
  monitor.takeLogs();
  const error = await invoke().catch((e) => e);
  expect(error).toBeInstanceOf(BundleInvocationError);
  expect(error.message).toMatch(message);
  const logs = monitor.takeLogs();
  expect(emfTotals(logs).totals).toEqual({});
  expect(JSON.stringify(logs)).not.toContain("secret-signature-value");
});
