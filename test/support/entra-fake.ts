/**
 * A local Microsoft Entra ID v2 token endpoint for the client-credentials grant with a
 * federated client assertion (`POST /<tenant>/oauth2/v2.0/token`), on 127.0.0.1 port 0.
 * Applications are registered with one federated identity credential (issuer, subject,
 * audiences); an assertion must be an RS256 JWT signed by the trusted issuer's key and
 * match all three, like Entra's workload identity federation:
 * https://learn.microsoft.com/entra/workload-id/workload-identity-federation
 * Refusals answer with Entra's error JSON and AADSTS codes. Issued access tokens are JWTs
 * for `https://storage.azure.com` from `https://sts.windows.net/<tenant>/`, which Azurite's
 * OAuth mode accepts. Faults: connection resets for the next N requests.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { KeyObject } from "node:crypto";
import { newSigningKey, signJwt, verifyJwt, type SigningKey } from "./jwt";

export interface EntraApplication {
  clientId: string;
  /** Object id of its service principal (the `oid` of its tokens). */
  objectId: string;
  federatedCredential: { issuer: string; subject: string; audiences: string[] };
}

export interface EntraExchange {
  clientId: string;
  /** Claims of the presented assertion (when it parsed and verified). */
  assertion?: Record<string, any>;
  /** AADSTS code of a refusal, or "issued". */
  outcome: string;
}

export interface EntraFake {
  /** `http://127.0.0.1:<port>`: the authority host. */
  authorityHost: string;
  tenantId: string;
  /** Verification key of the access tokens. */
  signingKey: SigningKey;
  register(app: EntraApplication): void;
  /** Lifetime of the access tokens issued from now on. @default 3600 */
  tokenLifetimeSeconds: number;
  /** Resets the connection of the next `count` token requests (endpoint unreachable). */
  resetNext(count: number): void;
  exchanges: EntraExchange[];
  /** Every access token issued. */
  issued: string[];
  close(): Promise<void>;
}

/** Starts the fake; `issuerKeys` maps each trusted issuer URL to its token verification key. */
export async function startEntraFake(issuerKeys: Record<string, KeyObject>): Promise<EntraFake> {
  const tenantId = randomUUID();
  const signingKey = newSigningKey("entra-fake");
  const apps = new Map<string, EntraApplication>();
  const exchanges: EntraExchange[] = [];
  const issued: string[] = [];
  let resets = 0;
  const fake = {} as EntraFake;

  const server = http.createServer((req, res) => {
    if (resets > 0) {
      resets--;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== `/${tenantId}/oauth2/v2.0/token`) {
        return refuse(400, "invalid_request", 90002, `Tenant '${req.url?.split("/")[1]}' not found.`);
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const clientId = form.get("client_id") ?? "";
      const exchange: EntraExchange = { clientId, outcome: "" };
      exchanges.push(exchange);
      if (form.get("grant_type") !== "client_credentials") return refuse(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.", exchange);
      if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
        return refuse(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_assertion_type'.", exchange);
      }
      if (form.get("scope") !== "https://storage.azure.com/.default") return refuse(400, "invalid_scope", 70011, `The provided value for the input parameter 'scope' is not valid.`, exchange);
      const app = apps.get(clientId);
      if (!app) return refuse(400, "unauthorized_client", 700016, `Application with identifier '${clientId}' was not found in the directory.`, exchange);
      const assertion = form.get("client_assertion") ?? "";
      const unverified = decode(assertion);
      const key = unverified?.iss ? issuerKeys[unverified.iss] : undefined;
      const claims = key ? verifyJwt(assertion, key) : undefined;
      exchange.assertion = claims;
      const fic = app.federatedCredential;
      if (!claims) return refuse(401, "invalid_client", 5002738, "Error validating the client assertion: the signature could not be verified against the issuer's keys.", exchange);
      if (claims.iss !== fic.issuer) return refuse(400, "invalid_client", 700211, `No matching federated identity record found for presented assertion issuer '${claims.iss}'.`, exchange);
      const audiences = [claims.aud].flat();
      if (!audiences.some((a) => fic.audiences.includes(a))) return refuse(400, "invalid_client", 700212, `No matching federated identity record found for presented assertion audience '${audiences.join(",")}'.`, exchange);
      if (claims.sub !== fic.subject) return refuse(400, "invalid_client", 700213, `No matching federated identity record found for presented assertion subject '${claims.sub}'.`, exchange);
      const now = Math.floor(Date.now() / 1000);
      if (!(claims.exp > now) || claims.nbf > now + 300) return refuse(400, "invalid_client", 700024, "Client assertion is not within its valid time range.", exchange);
      const lifetime = fake.tokenLifetimeSeconds;
      const token = signJwt(signingKey, {
        aud: "https://storage.azure.com",
        iss: `https://sts.windows.net/${tenantId}/`,
        tid: tenantId,
        oid: app.objectId,
        sub: app.objectId,
        appid: clientId,
        idtyp: "app",
        iat: now,
        nbf: now,
        exp: now + lifetime,
        // Entra's unique token identifier: two tokens issued in the same second still differ.
        uti: randomUUID(),
      });
      issued.push(token);
      exchange.outcome = "issued";
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify({ token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: token }));
    });
    function refuse(status: number, error: string, code: number, message: string, exchange?: EntraExchange) {
      if (exchange) exchange.outcome = `AADSTS${code}`;
      const traceId = randomUUID();
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(
        JSON.stringify({
          error,
          error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
          error_codes: [code],
          timestamp: new Date().toISOString(),
          trace_id: traceId,
        }),
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  Object.assign(fake, {
    authorityHost: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tenantId,
    signingKey,
    register: (app: EntraApplication) => void apps.set(app.clientId, app),
    tokenLifetimeSeconds: 3600,
    resetNext: (count: number) => void (resets = count),
    exchanges,
    issued,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return fake;
}

function decode(token: string): Record<string, any> | undefined {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}
