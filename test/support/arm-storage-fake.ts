/**
 * A stand-in for the Azure Resource Manager endpoints of one blob container (Microsoft.Storage,
 * any api-version given): Blob Containers - Get (properties.immutabilityPolicy and
 * properties.legalHold), Set Legal Hold and Clear Legal Hold. Like ARM it answers 401
 * `AuthenticationFailed` without a bearer token, 403 `AuthorizationFailed` (ARM's error body,
 * naming the action and scope) when the token's principal holds no grant for the action, 400
 * `MissingApiVersionParameter` without an api-version, and 400 for a tag outside 3-23 letters or
 * digits. A token is `<principal>` (the test's credential returns it); grants are per principal.
 * https://learn.microsoft.com/rest/api/storagerp/blob-containers
 *
 * @example
 * const arm = await startArmStorageFake({ subscriptionId, resourceGroupName, accountName, containerName });
 * arm.grant("auditor", [ARM_CONTAINER_READ]);
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

const ACTIONS = "Microsoft.Storage/storageAccounts/blobServices/containers";
export const ARM_CONTAINER_READ = `${ACTIONS}/read`;
export const ARM_SET_LEGAL_HOLD = `${ACTIONS}/setLegalHold/action`;
export const ARM_CLEAR_LEGAL_HOLD = `${ACTIONS}/clearLegalHold/action`;

export interface ArmContainer {
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly accountName: string;
  readonly containerName: string;
  /** Time-based retention in days; 0 = no policy. @default 0 */
  immutabilityDays?: number;
  /** @default "Unlocked" */
  immutabilityState?: "Locked" | "Unlocked";
}

export interface ArmStorageFake {
  /** `http://127.0.0.1:<port>`: the management endpoint. */
  readonly endpoint: string;
  /** Current legal-hold tags (lower case, as ARM stores them). */
  readonly holdTags: Set<string>;
  /** Every request: method, path, api-version, principal (or none), status answered. */
  readonly requests: Array<{ method: string; path: string; apiVersion?: string; principal?: string; status: number }>;
  grant(principal: string, actions: readonly string[]): void;
  close(): Promise<void>;
}

export async function startArmStorageFake(container: ArmContainer): Promise<ArmStorageFake> {
  const grants = new Map<string, Set<string>>();
  const holdTags = new Set<string>();
  const requests: ArmStorageFake["requests"] = [];
  const scope = `/subscriptions/${container.subscriptionId}/resourceGroups/${container.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${container.accountName}/blobServices/default/containers/${container.containerName}`;

  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const principal = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      const apiVersion = url.searchParams.get("api-version") ?? undefined;
      const answer = (status: number, json: unknown) => {
        requests.push({ method: req.method ?? "GET", path: url.pathname, apiVersion, principal, status });
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-ms-request-id": `req-${requests.length}` }).end(JSON.stringify(json));
      };
      const error = (status: number, code: string, message: string) => answer(status, { error: { code, message } });
      if (!principal) return error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
      if (!apiVersion) return error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
      const route =
        req.method === "GET" && url.pathname === scope
          ? { action: ARM_CONTAINER_READ, run: () => answer(200, containerResource()) }
          : req.method === "POST" && (url.pathname === `${scope}/setLegalHold` || url.pathname === `${scope}/clearLegalHold`)
            ? { action: url.pathname.endsWith("/setLegalHold") ? ARM_SET_LEGAL_HOLD : ARM_CLEAR_LEGAL_HOLD, run: () => legalHold(url.pathname.endsWith("/setLegalHold")) }
            : undefined;
      if (!route) return error(404, "ResourceNotFound", `The resource '${url.pathname}' was not found.`);
      if (!grants.get(principal)?.has(route.action)) {
        return error(
          403,
          "AuthorizationFailed",
          `The client '${principal}' with object id '${principal}' does not have authorization to perform action '${route.action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
        );
      }
      route.run();

      function legalHold(set: boolean) {
        let tags: unknown;
        try {
          tags = (JSON.parse(body) as { tags?: unknown }).tags;
        } catch {
          return error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
        }
        if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string" || !/^[A-Za-z0-9]{3,23}$/.test(t))) {
          return error(400, "InvalidRequestPropertyValue", "Each tag should be 3 to 23 alphanumeric characters.");
        }
        for (const tag of tags as string[]) set ? holdTags.add(tag.toLowerCase()) : holdTags.delete(tag.toLowerCase());
        answer(200, { hasLegalHold: holdTags.size > 0, tags: [...holdTags] });
      }
    });
  });

  function containerResource() {
    const days = container.immutabilityDays ?? 0;
    return {
      id: scope,
      name: container.containerName,
      type: "Microsoft.Storage/storageAccounts/blobServices/containers",
      properties: {
        publicAccess: "None",
        hasImmutabilityPolicy: days > 0,
        hasLegalHold: holdTags.size > 0,
        immutabilityPolicy: days > 0 ? { etag: '"8d0"', properties: { immutabilityPeriodSinceCreationInDays: days, state: container.immutabilityState ?? "Unlocked", allowProtectedAppendWrites: false }, updateHistory: [] } : undefined,
        legalHold: { hasLegalHold: holdTags.size > 0, tags: [...holdTags].map((tag) => ({ tag, timestamp: "2026-12-01T00:00:00Z", objectIdentifier: "holder", tenantId: "tenant" })) },
      },
    };
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    holdTags,
    requests,
    grant(principal, actions) {
      grants.set(principal, new Set(actions));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
