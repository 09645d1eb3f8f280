import { ConfigError, vaultSettings } from "../../../functions/shared/config";

describe("vault settings", () => {
  const base = { AZURE_VAULT_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:gcv-dev/azure-vault-writer" };

  test("federated mode with the public Entra ID authority by default", () => {
    expect(vaultSettings({ ...base, AZURE_VAULT_AUTH: "federated" })).toMatchObject({ auth: "federated", authorityHost: "https://login.microsoftonline.com" });
  });

  test("sas when the variable is unset (functions deployed before the federated mode)", () => {
    expect(vaultSettings(base).auth).toBe("sas");
  });

  test("an unknown mode is a clear deployment error", () => {
    expect(() => vaultSettings({ ...base, AZURE_VAULT_AUTH: "key" })).toThrow(new ConfigError('environment variable AZURE_VAULT_AUTH must be "federated" or "sas", got "key"'));
  });

  test("the authority must be an http(s) URL", () => {
    expect(() => vaultSettings({ ...base, AZURE_VAULT_AUTH: "federated", AZURE_AUTHORITY_HOST: "login.microsoftonline.com" })).toThrow(/AZURE_AUTHORITY_HOST must be an http\(s\) URL/);
  });
});
