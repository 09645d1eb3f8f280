/**
 * Builds a {@link GenesysClient} from the environment (config.ts) and the
 * credentials secret (secrets.ts): what a handler calls once per invocation.
 * The token cache is module-scoped inside genesys-client.ts, so creating a client
 * per invocation costs nothing.
 */
import { genesysSettings } from "./config";
import { GenesysClient, type GenesysClientOptions } from "./genesys-client";
import { getGenesysCredentials } from "./secrets";

/**
 * @example
 * const genesys = genesysClientFromEnv({ remainingTimeMs: () => context.getRemainingTimeInMillis() });
 */
export function genesysClientFromEnv(
  overrides: Partial<Omit<GenesysClientOptions, "credentials" | "domain">> = {},
  env: Record<string, string | undefined> = process.env,
): GenesysClient {
  const settings = genesysSettings(env);
  return new GenesysClient({
    domain: settings.domain,
    apiBaseUrl: settings.apiBaseUrl,
    loginBaseUrl: settings.loginBaseUrl,
    requestTimeoutMs: settings.requestTimeoutMs,
    credentials: ({ refresh = false } = {}) => getGenesysCredentials(settings.secretArn, { forceFetch: refresh, afterRefusal: refresh }),
    ...overrides,
  });
}
