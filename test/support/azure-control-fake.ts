/**
 * Two Azure endpoints as `npm run verify` sees them from outside the vault's allowlist, on
 * 127.0.0.1 port 0:
 * - the blob endpoint (`blobEndpoint`): with `firewall: "deny"` every request is refused as
 *   the storage firewall refuses an IP outside its network rules: 403, `x-ms-error-code:
 *   AuthorizationFailure`, "This request is not authorized to perform this operation."; with
 *   "admit", an anonymous request reaches the account and is refused for being anonymous
 *   (409 `PublicAccessNotPermitted`, the account allows no public access); with "rbac" it is
 *   refused for its permissions (403 `AuthorizationPermissionMismatch`).
 * - the management endpoint (`managementEndpoint`): GET of a container's
 *   `immutabilityPolicies/default` (Microsoft.Storage `ImmutabilityPolicy`: `properties.state`
 *   Locked/Unlocked, `immutabilityPeriodSinceCreationInDays`), bearer token required (401
 *   `AuthenticationFailed` without), 403 `AuthorizationFailed` for a `forbiddenTokens` token,
 *   404 `ImmutabilityPolicyNotFound`... when none is set.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { closeServer, listenLocal } from "./aws-json-fake";

export interface AzureControlFake {
  readonly blobEndpoint: string;
  readonly managementEndpoint: string;
  /** What the firewall does with this machine's requests. */
  firewall: "deny" | "admit" | "rbac";
  /** Immutability policies by `<account>/<container>`. */
  readonly policies: Map<string, { state: "Locked" | "Unlocked"; days: number }>;
  /** Tokens the management API refuses with 403 (an identity without Reader). */
  readonly forbiddenTokens: Set<string>;
  readonly requests: Array<{ endpoint: "blob" | "management"; method: string; path: string; authorization?: string }>;
  close(): Promise<void>;
}

const storageError = (code: string, message: string) =>
  `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${randomUUID()}\nTime:${new Date().toISOString()}</Message></Error>`;

export async function startAzureControlFake(): Promise<AzureControlFake> {
  const state: Pick<AzureControlFake, "firewall" | "policies" | "forbiddenTokens" | "requests"> = { firewall: "deny", policies: new Map(), forbiddenTokens: new Set(), requests: [] };

  const blob = http.createServer((req, res) => {
    state.requests.push({ endpoint: "blob", method: req.method ?? "GET", path: req.url ?? "/", authorization: req.headers.authorization });
    const refuse = (status: number, code: string, message: string) =>
      res.writeHead(status, { "content-type": "application/xml", "x-ms-error-code": code, "x-ms-request-id": randomUUID() }).end(storageError(code, message));
    if (state.firewall === "deny") refuse(403, "AuthorizationFailure", "This request is not authorized to perform this operation.");
    else if (state.firewall === "rbac") refuse(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.");
    else refuse(409, "PublicAccessNotPermitted", "Public access is not permitted on this storage account.");
  });

  const management = http.createServer((req, res) => void answerManagement(req, res));
  function answerManagement(req: http.IncomingMessage, res: http.ServerResponse): void {
    state.requests.push({ endpoint: "management", method: req.method ?? "GET", path: req.url ?? "/", authorization: req.headers.authorization });
    const json = (status: number, body: unknown) => void res.writeHead(status, { "content-type": "application/json", "x-ms-request-id": randomUUID() }).end(JSON.stringify(body));
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const url = new URL(req.url ?? "/", "http://x");
    const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)\/blobServices\/default\/containers\/([^/]+)\/immutabilityPolicies\/default$/.exec(url.pathname);
    const policy = m ? state.policies.get(`${m[3]}/${m[4]}`) : undefined;
    if (!token) json(401, { error: { code: "AuthenticationFailed", message: "Authentication failed. The 'Authorization' header is missing." } });
    else if (req.method !== "GET" || !m || !url.searchParams.get("api-version")) json(400, { error: { code: "InvalidRequest", message: `unsupported ${req.method} ${url.pathname}` } });
    else if (state.forbiddenTokens.has(token)) {
      json(403, {
        error: {
          code: "AuthorizationFailed",
          message: `The client 'verify@example.com' with object id '${randomUUID()}' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/read' over scope '${url.pathname}' or the scope is invalid.`,
        },
      });
    } else if (!policy) json(404, { error: { code: "ImmutabilityPolicyNotFound", message: `The immutability policy for container ${m[4]} was not found.` } });
    else {
      json(200, {
        id: url.pathname,
        name: "default",
        type: "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies",
        etag: `"${randomUUID()}"`,
        properties: { immutabilityPeriodSinceCreationInDays: policy.days, state: policy.state, allowProtectedAppendWrites: false },
      });
    }
  }

  const [blobEndpoint, managementEndpoint] = await Promise.all([listenLocal(blob), listenLocal(management)]);
  return Object.assign(state, { blobEndpoint, managementEndpoint, close: async () => void (await Promise.all([closeServer(blob), closeServer(management)])) });
}
