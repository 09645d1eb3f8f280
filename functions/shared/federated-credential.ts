/**
 * The archiver's federated identity for the Azure vault: no SAS and no key.
 *
 * 1. AWS STS `GetWebIdentityToken` (IAM outbound identity federation) returns a short-lived
 *    JWT signed by AWS whose `sub` is the archiver role's ARN and whose `aud` is
 *    `api://AzureADTokenExchange`.
 *    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_outbound_getting_started.html
 * 2. That JWT is the client assertion of an OAuth 2.0 client-credentials request to the
 *    Entra ID v2 token endpoint, for the vault's Entra application, which trusts it through
 *    a federated identity credential (issuer = the AWS account's issuer URL, subject = the role ARN).
 *    https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#third-case-access-token-request-with-a-federated-credential
 * 3. The resulting storage token is a bearer token for `@azure/storage-blob`.
 *
 * Why not `@azure/identity`'s ClientAssertionCredential: it pulls in MSAL, which took the
 * archiver package from 259 KB to 344 KB zipped (over its 300 KB budget) and added 60-120 ms of
 * cold load. The exchange itself is one form POST, done here with `fetch`.
 *
 * Tokens are cached and refreshed 5 minutes before they expire; concurrent callers share
 * one exchange. Transient failures (network, 5xx, 429, STS throttling) are retried; a
 * refused assertion is not. Errors name the step and the reason, never a token.
 */
import { GetWebIdentityTokenCommand, STSClient } from "@aws-sdk/client-sts";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { ContainerClient, newPipeline, type StoragePipelineOptions } from "@azure/storage-blob";

/** Audience Entra ID expects in federated client assertions. */
export const AZURE_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
/** Lifetime requested for the AWS web identity token: it is used once, right away. */
export const WEB_IDENTITY_TOKEN_SECONDS = 300;
/** STS's shortest token, asked for when the role session would end before a longer one. */
const MIN_WEB_IDENTITY_TOKEN_SECONDS = 60;
/** Entra ID public cloud authority. */
export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";
/** Scope of Azure Storage data-plane tokens. */
export const STORAGE_SCOPE = "https://storage.azure.com/.default";
/** Refresh a storage token this long before it expires. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** Getting a vault token failed; `retryable` says whether a later attempt may succeed. */
export class VaultCredentialError extends Error {
  override readonly name = "VaultCredentialError";
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Non-secret coordinates of the vault's Entra application. */
export interface FederatedIdentity {
  tenantId: string;
  clientId: string;
  /** @default https://login.microsoftonline.com */
  authorityHost?: string;
}

/** Settings of {@link AwsFederatedCredential}. */
export interface FederatedCredentialOptions {
  /** Deadline of each STS and Entra request. */
  requestTimeoutMs: number;
  /** Attempts of the whole exchange on transient failures. */
  maxTries: number;
  /** STS client; regional by default (GetWebIdentityToken is not on the global endpoint). */
  sts?: STSClient;
}

/** A TokenCredential that trades the Lambda role's AWS identity for an Entra ID storage token. */
export class AwsFederatedCredential implements TokenCredential {
  private cached?: AccessToken & { scope: string };
  private inFlight?: Promise<AccessToken & { scope: string }>;
  private readonly sts: STSClient;
  private readonly tokenUrl: string;
  private tokenSeconds = WEB_IDENTITY_TOKEN_SECONDS;

  constructor(
    private readonly identity: FederatedIdentity,
    private readonly options: FederatedCredentialOptions,
  ) {
    this.sts = options.sts ?? new STSClient({ maxAttempts: 1 });
    const host = (identity.authorityHost ?? DEFAULT_AUTHORITY_HOST).replace(/\/+$/, "");
    this.tokenUrl = `${host}/${encodeURIComponent(identity.tenantId)}/oauth2/v2.0/token`;
  }

  async getToken(scopes: string | string[]): Promise<AccessToken> {
    const scope = (Array.isArray(scopes) ? scopes : [scopes]).join(" ") || STORAGE_SCOPE;
    const cached = this.cached;
    if (cached && cached.scope === scope && cached.expiresOnTimestamp - REFRESH_MARGIN_MS > Date.now()) return cached;
    this.inFlight ??= this.exchange(scope).finally(() => (this.inFlight = undefined));
    const token = await this.inFlight;
    this.cached = token;
    return token;
  }

  private async exchange(scope: string): Promise<AccessToken & { scope: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.redeem(await this.webIdentityToken(), scope);
      } catch (error) {
        if (!(error instanceof VaultCredentialError) || !error.retryable || attempt >= this.options.maxTries) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 200 * 2 ** (attempt - 1))));
      }
    }
  }

  /** The AWS-signed JWT, restricted by IAM to this audience and lifetime. */
  private async webIdentityToken(): Promise<string> {
    let token: string | undefined;
    try {
      const out = await this.sts.send(
        new GetWebIdentityTokenCommand({ Audience: [AZURE_TOKEN_EXCHANGE_AUDIENCE], DurationSeconds: this.tokenSeconds, SigningAlgorithm: "RS256" }),
        { abortSignal: AbortSignal.timeout(this.options.requestTimeoutMs) },
      );
      token = out.WebIdentityToken;
    } catch (error) {
      const e = error as { name?: string; message?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      if (e.name === "OutboundWebIdentityFederationDisabledException") {
        throw new VaultCredentialError(
          "AWS STS GetWebIdentityToken failed: outbound identity federation is not enabled in this AWS account; run `aws iam enable-outbound-web-identity-federation` once (docs/security.md)",
          false,
          { cause: error },
        );
      }
      // The role session ends sooner than the token would: ask for the shortest token next time.
      const shorten = e.name === "SessionDurationEscalationException";
      if (shorten) this.tokenSeconds = MIN_WEB_IDENTITY_TOKEN_SECONDS;
      const retryable = shorten || Boolean(e.$retryable) || status === undefined || status >= 500 || status === 429 || e.name === "Throttling";
      throw new VaultCredentialError(`AWS STS GetWebIdentityToken failed (${e.name ?? "Error"}${status ? ` ${status}` : ""}): ${e.message ?? String(error)}`, retryable, { cause: error });
    }
    if (!token) throw new VaultCredentialError("AWS STS GetWebIdentityToken returned no token", true);
    return token;
  }

  /** Client-credentials grant with the AWS JWT as client assertion. */
  private async redeem(assertion: string, scope: string): Promise<AccessToken & { scope: string }> {
    const body = new URLSearchParams({
      client_id: this.identity.clientId,
      scope,
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
    });
    let response: Response;
    try {
      response = await fetch(this.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new VaultCredentialError(`cannot reach the Entra ID token endpoint ${new URL(this.tokenUrl).origin}: ${cause}`, true, { cause: error });
    }
    const payload = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      // error_description is Entra's diagnostic text (AADSTS code, trace id); it never echoes the assertion.
      const description = typeof payload.error_description === "string" ? payload.error_description.split(/\r?\n/)[0]!.slice(0, 300) : "";
      const retryable = response.status >= 500 || response.status === 429;
      throw new VaultCredentialError(
        `Entra ID refused the token request for application ${this.identity.clientId} (HTTP ${response.status} ${String(payload.error ?? "")})${description ? `: ${description}` : ""}`,
        retryable,
      );
    }
    const accessToken = payload.access_token;
    const expiresIn = Number(payload.expires_in);
    if (typeof accessToken !== "string" || !accessToken || !Number.isFinite(expiresIn)) {
      throw new VaultCredentialError(`the Entra ID token response for application ${this.identity.clientId} has no access_token or expires_in`, false);
    }
    return { token: accessToken, expiresOnTimestamp: Date.now() + expiresIn * 1000, tokenType: "Bearer", scope };
  }
}

/**
 * A container client that authenticates every request with a federated storage token.
 * @example const client = federatedContainerClient({ blobEndpoint, containerName, tenantId, clientId }, { requestTimeoutMs: 20000, maxTries: 3 });
 */
export function federatedContainerClient(
  coordinates: FederatedIdentity & { blobEndpoint: string; containerName: string },
  options: FederatedCredentialOptions & { retryOptions?: StoragePipelineOptions["retryOptions"] },
): ContainerClient {
  const credential = new AwsFederatedCredential(coordinates, options);
  const url = `${coordinates.blobEndpoint.replace(/\/+$/, "")}/${encodeURIComponent(coordinates.containerName)}`;
  return new ContainerClient(url, newPipeline(credential, { retryOptions: options.retryOptions }));
}
