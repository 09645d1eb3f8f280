/**
 * Azure RBAC for blob data in front of Azurite, which authenticates bearer tokens but
 * enforces no role assignments. An HTTPS reverse proxy (127.0.0.1, port 0) that verifies
 * each bearer token against the Entra fake's key, maps the request to the data action
 * Azure requires, and answers 403 `AuthorizationPermissionMismatch` (Azure's code and
 * message) when the token's principal (`oid`) holds no granted action for it; allowed
 * requests are forwarded to Azurite unchanged. Data actions per operation:
 * https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-attributes
 * (Put Blob / Put Block List of a new blob: blobs/add/action or blobs/write; Put Block:
 * blobs/write; reads: blobs/read; Delete Blob: blobs/delete).
 */
import { randomUUID, type KeyObject } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { verifyJwt } from "./jwt";
import type { TlsCertificate } from "./tls-cert";

const DATA = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

export interface RbacProxy {
  /** `https://127.0.0.1:<port>`: use in place of Azurite's origin. */
  origin: string;
  /** Role assignments: principal object id -> data actions granted at the container. */
  grant(objectId: string, dataActions: readonly string[]): void;
  /** Requests seen: auth scheme, principal, required actions and the decision. */
  requests: Array<{ method: string; url: string; scheme: string; objectId?: string; token?: string; decision: "allowed" | "denied" | "unauthenticated" }>;
  close(): Promise<void>;
}

/** The data actions any one of which authorizes the request. */
function requiredActions(method: string, url: URL): string[] {
  const comp = url.searchParams.get("comp");
  if (method === "PUT" && comp === "block") return [`${DATA}/write`];
  if (method === "PUT" && (comp === null || comp === "blocklist")) return [`${DATA}/add/action`, `${DATA}/write`];
  if (method === "PUT") return [`${DATA}/write`];
  if (method === "GET" || method === "HEAD") return [`${DATA}/read`];
  if (method === "DELETE") return [`${DATA}/delete`];
  return [];
}

export async function startRbacProxy(target: string, tls: TlsCertificate, tokenKey: KeyObject): Promise<RbacProxy> {
  const grants = new Map<string, Set<string>>();
  const requests: RbacProxy["requests"] = [];
  const targetUrl = new URL(target);

  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const url = new URL(req.url ?? "/", target);
    const auth = String(req.headers.authorization ?? "");
    const scheme = auth.split(" ")[0] || (url.searchParams.has("sig") ? "SAS" : "none");
    const entry: RbacProxy["requests"][number] = { method: req.method ?? "GET", url: req.url ?? "/", scheme, decision: "allowed" };
    requests.push(entry);
    if (scheme === "Bearer") {
      const token = auth.slice("Bearer ".length);
      entry.token = token;
      const claims = verifyJwt(token, tokenKey);
      if (!claims) {
        entry.decision = "unauthenticated";
        return deny(401, "InvalidAuthenticationInfo", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.");
      }
      entry.objectId = claims.oid;
      const held = grants.get(claims.oid) ?? new Set<string>();
      if (!requiredActions(entry.method, url).some((action) => held.has(action))) {
        entry.decision = "denied";
        req.resume();
        return deny(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.");
      }
    }
    const upstream = https.request(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: { ...req.headers, host: targetUrl.host }, ca: tls.cert },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);

    function deny(status: number, code: string, message: string) {
      const requestId = randomUUID();
      res.writeHead(status, { "content-type": "application/xml", "x-ms-error-code": code, "x-ms-request-id": requestId, "x-ms-version": String(req.headers["x-ms-version"] ?? "") }).end(
        `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`,
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    grant: (objectId, dataActions) => void grants.set(objectId, new Set(dataActions)),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
