/**
 * Azure RBAC for blob data in front of Azurite, which authenticates bearer tokens but
 * enforces no role assignments. An HTTPS reverse proxy (127.0.0.1, port 0) that verifies
 * each bearer token against the Entra fake's key, maps the request to the data action
 * Azure requires, and answers 403 `AuthorizationPermissionMismatch` (Azure's code and
 * message) when the token's principal (`oid`) holds no granted action for it; allowed
 * requests are forwarded to Azurite unchanged. Data actions per operation:
 * https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-attributes
 * (Put Blob / Put Block List of a new blob: blobs/add/action or blobs/write, plus
 * blobs/tags/write when it sets index tags; Put Block: blobs/write; reads: blobs/read;
 * Delete Blob: blobs/delete; Find Blobs by Tags: blobs/filter/action).
 *
 * An assignment may carry the one ABAC condition this project deploys,
 * `LIST_ONLY_CONDITION` (constructs/vault/vault-writer-identity.ts): its `blobs/read`
 * then authorizes only the `Blob.List` suboperation (List Blobs, `GET
 * ?restype=container&comp=list`), as Azure evaluates `!(ActionMatches{read} AND NOT
 * SubOperationMatches{'Blob.List'})`. Any other condition text is refused when granted,
 * so a changed condition cannot pass unnoticed.
 */
import { randomUUID, type KeyObject } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { LIST_ONLY_CONDITION } from "../../constructs/vault/vault-writer-identity";
import { verifyJwt } from "./jwt";
import type { TlsCertificate } from "./tls-cert";

const DATA = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

export interface RbacProxy {
  /** `https://127.0.0.1:<port>`: use in place of Azurite's origin. */
  origin: string;
  /** A role assignment at the container: the principal's data actions, optionally under a condition. Assignments add up. */
  grant(objectId: string, dataActions: readonly string[], condition?: string): void;
  /** Requests seen: auth scheme, principal, required actions and the decision. */
  requests: Array<{ method: string; url: string; scheme: string; objectId?: string; token?: string; decision: "allowed" | "denied" | "unauthenticated" }>;
  close(): Promise<void>;
}

/** The suboperation Azure matches with `SubOperationMatches`, for the operations we call. */
function subOperation(method: string, url: URL): string | undefined {
  return method === "GET" && url.searchParams.get("restype") === "container" && url.searchParams.get("comp") === "list" ? "Blob.List" : undefined;
}

/**
 * Blob index tags are a sub-resource with their own data actions: a Put Blob or Put Block List
 * that sets them (`x-ms-tags`) also needs `blobs/tags/write`; Get Blob Tags needs `tags/read`,
 * Find Blobs by Tags `blobs/filter/action` (storage-manage-find-blobs, "Permissions and authorization").
 */
function tagActions(method: string, url: URL, headers: Record<string, unknown>): string[] {
  const comp = url.searchParams.get("comp");
  if (method === "PUT" && (comp === null || comp === "blocklist") && headers["x-ms-tags"] !== undefined) return [`${DATA}/tags/write`];
  return [];
}

/** The data actions any one of which authorizes the request. */
function requiredActions(method: string, url: URL): string[] {
  const comp = url.searchParams.get("comp");
  if (method === "GET" && url.searchParams.get("restype") === "container" && comp === "blobs") return [`${DATA}/filter/action`];
  if (comp === "tags") return method === "GET" ? [`${DATA}/tags/read`] : [`${DATA}/tags/write`];
  if (method === "PUT" && comp === "block") return [`${DATA}/write`];
  if (method === "PUT" && (comp === null || comp === "blocklist")) return [`${DATA}/add/action`, `${DATA}/write`];
  if (method === "PUT") return [`${DATA}/write`];
  if (method === "GET" || method === "HEAD") return [`${DATA}/read`];
  if (method === "DELETE") return [`${DATA}/delete`];
  return [];
}

export async function startRbacProxy(target: string, tls: TlsCertificate, tokenKey: KeyObject): Promise<RbacProxy> {
  /** Per principal, its assignments: the data actions and whether the list-only condition narrows them. */
  const grants = new Map<string, Array<{ actions: Set<string>; listOnly: boolean }>>();
  const allows = (objectId: string, method: string, url: URL, headers: Record<string, unknown>) =>
    tagActions(method, url, headers).every((action) => (grants.get(objectId) ?? []).some(({ actions, listOnly }) => actions.has(action) && !listOnly)) &&
    (grants.get(objectId) ?? []).some(
      ({ actions, listOnly }) =>
        requiredActions(method, url).some((action) => actions.has(action)) &&
        // !(ActionMatches{blobs/read} AND NOT SubOperationMatches{'Blob.List'}); other actions never match the condition's read.
        (!listOnly || !(requiredActions(method, url).includes(`${DATA}/read`) && subOperation(method, url) !== "Blob.List")),
    );
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
      if (!allows(claims.oid, entry.method, url, req.headers)) {
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
    grant(objectId, dataActions, condition) {
      if (condition !== undefined && condition !== LIST_ONLY_CONDITION) throw new Error(`rbac proxy: unsupported role assignment condition ${condition}`);
      grants.set(objectId, [...(grants.get(objectId) ?? []), { actions: new Set(dataActions), listOnly: condition !== undefined }]);
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
