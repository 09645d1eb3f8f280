/**
 * A Genesys Cloud API fake for tests: a real HTTP server on 127.0.0.1, port 0,
 * mimicking the documented behaviour, error codes and headers (genesys-facts.md).
 *
 * Login and API share one origin (`fake.baseUrl`): point both GENESYS_API_BASE_URL and
 * GENESYS_LOGIN_BASE_URL (or the client's apiBaseUrl/loginBaseUrl) at it.
 *
 * Routes (name in brackets, used by `failNext` and the request log):
 * - [token]            POST /oauth/token: Basic client credentials; `invalid_client` 400 (unknown id) / 401 (bad secret).
 * - [recordings]       GET  /api/v2/conversations/{cid}/recordings: recordings with `messagingTranscript[]`.
 * - [message]          GET  /api/v2/conversations/messages/{cid}/messages/{mid}
 * - [messagesBulk]     POST /api/v2/conversations/messages/{cid}/messages/bulk (JSON array of <= 1000 ids) -> `{entities}`
 * - [media]            GET  /media/{mediaId}/{name}: streamed bytes (bearer required unless the media is `presigned`,
 *                      in which case it answers 302 to the pre-signed server, which rejects any Authorization header).
 * - [queue]            GET/PUT /api/v2/routing/queues/{id} (PUT: full replace, `name` required)
 * - [utilization]      GET/PUT /api/v2/routing/utilization (PUT: full replace; omitted media types reset to defaults)
 * - [userUtilization]  GET/PUT /api/v2/routing/users/{userId}/utilization (same; GET falls back to the org level)
 * - [participantAttributes] PATCH /api/v2/conversations/{cid}/participants/{pid}/attributes -> 202
 * - [analyticsDetails] POST /api/v2/analytics/conversations/details/query: body `ConversationQuery`
 *                      (`interval` "start/end" required: it selects conversations that started on a UTC day
 *                      the interval touches and were active in it; `paging {pageSize, pageNumber}` default
 *                      25/1, `order`, `orderBy`, `segmentFilters`/`conversationFilters`: and/or filters of
 *                      dimension predicates (`mediaType`, `conversationId`, `conversationStart`,
 *                      `conversationEnd`; operators matches/exists/notExists) and metric predicates
 *                      (`tConversationDuration` in ms, with a `range`); anything else answers 400) ->
 *                      `AnalyticsConversationQueryResponse`
 *                      `{conversations: [{conversationId, conversationStart, conversationEnd, originatingDirection,
 *                      participants: [{purpose, sessions: [{mediaType}]}]}], totalHits}` (no `conversations` key when the
 *                      page is empty); 400 "Pagination may not exceed 100000 results." past the result cap.
 *                      Conversations come from `addAnalyticsConversations`.
 * - [oauthClient]      GET  /api/v2/oauth/clients/{clientId} -> `{id, name, authorizedGrantType, state,
 *                      roleDivisions: [{roleId, divisionId}]}` (the platform SDK's OAuthClient model); every
 *                      credentials pair is a client named `client <clientId>` with no roles until `assignRole`.
 * - [authorizationRoles] GET /api/v2/authorization/roles?name=&pageSize=&pageNumber= -> `{entities: [{id, name}],
 *                      pageSize, pageNumber, total, pageCount}`. How `name` matches is not documented: the fake
 *                      returns every role whose name contains it, so callers must pick the exact name (as the
 *                      provider's getAuthRoleIdByNameFn does).
 * - [integrations]     GET  /api/v2/integrations?pageSize&pageNumber -> `{entities, pageSize, pageNumber, total, pageCount}`
 * - [integration]      GET  /api/v2/integrations/{id} -> `{id, name, integrationType: {id}, intendedState, reportedState: {code, effective, detail}}`
 *                      (model `Integration` of the platform SDKs); integrations come from `addIntegration`.
 * API routes answer 401 `authentication.required` without a bearer token, 401 `bad.credentials` for an
 * unknown, expired or revoked token, 429 `too.many.requests.retry.after` (Retry-After + inin-ratelimit-*)
 * when the optional per-token rate limit is exceeded, 404 `not.found` for unknown ids.
 *
 * @example
 * const fake = await startGenesysFake();
 * fake.addConversation("c1", [{ messageText: "hi", attachments: [{ id: "a1", name: "x.png", size: 1024 }] }]);
 * fake.failNext("recordings", [{ status: 429, retryAfter: 1 }, { status: 503 }]);
 * ... // run the code under test against fake.baseUrl with fake.credentials
 * expect(fake.requests.filter((r) => r.route === "recordings")).toHaveLength(3);
 * await fake.close();
 */
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** Route names of the fake (see the module comment). */
export type GenesysRoute =
  | "token"
  | "recordings"
  | "message"
  | "messagesBulk"
  | "media"
  | "presigned"
  | "queue"
  | "utilization"
  | "userUtilization"
  | "participantAttributes"
  | "analyticsDetails"
  | "oauthClient"
  | "authorizationRoles"
  | "integrations"
  | "integration";

/** A scripted fault, consumed by the next matching request. */
export interface Fault {
  /** HTTP status to answer (e.g. 429, 503, 401, 202). */
  status?: number;
  /** Retry-After seconds (429 default 1). */
  retryAfter?: number;
  /** Error code in the body (defaults by status: too.many.requests.retry.after, bad.credentials, ...). */
  code?: string;
  /** Raw body to answer instead of the default error JSON. */
  body?: unknown;
  /** Never answer (until the client gives up or the fake closes): provokes client timeouts. */
  hang?: boolean;
  /** Media only: serve normally but cut the connection after this many body bytes. */
  abortAfterBytes?: number;
  /** Media only: answer 200 with a well-formed but short body of this many bytes (Content-Length matches it). */
  truncateTo?: number;
  /** Media only: stream the body at about this rate (a slow attachment). */
  bytesPerSecond?: number;
  /** Media only: the fault waits for a request of this media id (others pass untouched). */
  mediaId?: string;
  /** Media only: send no Content-Length (chunked), so only the bytes received tell the size. */
  chunked?: boolean;
  /** Delay before answering, in ms. */
  delayMs?: number;
}

/** One request as seen by the fake. */
export interface RecordedRequest {
  route: GenesysRoute | "unknown";
  method: string;
  path: string;
  query: Record<string, string>;
  /** "bearer", "basic" or undefined. */
  auth?: "bearer" | "basic";
  /** The bearer token presented, if any (tests check it never reaches other hosts). */
  token?: string;
  /** Parsed JSON body (or raw text), if any. */
  body?: unknown;
  status: number;
  at: number;
}

/** An attachment in a messaging transcript. */
export interface FakeAttachment {
  id: string;
  name: string;
  /** Size in bytes of the generated content (deterministic pseudo-random bytes). */
  size: number;
  mediaType?: string;
  /** Serve via a 302 to the pre-signed server instead of directly. */
  presigned?: boolean;
}

/** One message of a fake conversation. */
export interface FakeMessage {
  id?: string;
  messageText?: string;
  direction?: "inbound" | "outbound";
  timestamp?: string;
  attachments?: FakeAttachment[];
}

/** A conversation as the analytics details query knows it. */
export interface AnalyticsConversation {
  conversationId: string;
  /** ISO-8601. */
  conversationStart: string;
  /** ISO-8601; absent while the conversation is live. */
  conversationEnd?: string;
  /** Lower case, as analytics reports it: message, voice, chat, email, callback. */
  mediaType: string;
}

/** Result cap of the details query: deeper pages answer 400 (see docs/pipelines.md for the source). */
export const ANALYTICS_RESULT_CAP = 100_000;

/** Options of {@link startGenesysFake}. */
export interface GenesysFakeOptions {
  /** Valid client credentials. @default one pair: fake-client-id / fake-client-secret */
  clients?: Array<{ clientId: string; clientSecret: string }>;
  /** expires_in of issued tokens, seconds. @default 86400 */
  tokenLifetimeSeconds?: number;
  /** Requests per "minute" per token; undefined = unlimited. */
  rateLimitPerMinute?: number;
  /** Length of the rate-limit window in real ms (scale time down in tests). @default 60000 */
  minuteMs?: number;
  /**
   * What the rate limit counts: each token separately (Genesys' documented per-token limit), or all
   * tokens of a client together (a budget shared by every Lambda container of one OAuth client). @default "token"
   */
  rateLimitScope?: "token" | "client";
  /** Clock for token expiry and rate-limit windows. @default Date.now */
  now?: () => number;
}

/** Default per-media-type utilization (what an omitted media type resets to). */
export const DEFAULT_UTILIZATION: Record<string, { maximumCapacity: number; interruptableMediaTypes: string[]; includeNonAcd: boolean }> = {
  call: { maximumCapacity: 1, interruptableMediaTypes: [], includeNonAcd: false },
  callback: { maximumCapacity: 1, interruptableMediaTypes: [], includeNonAcd: false },
  chat: { maximumCapacity: 4, interruptableMediaTypes: [], includeNonAcd: false },
  email: { maximumCapacity: 1, interruptableMediaTypes: [], includeNonAcd: false },
  message: { maximumCapacity: 4, interruptableMediaTypes: [], includeNonAcd: false },
};
const MEDIA_TYPES = Object.keys(DEFAULT_UTILIZATION);

/** Deterministic content of a fake attachment (so tests can compute its hash). */
export function attachmentContent(id: string, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let block = createHash("sha256").update(id).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, size - offset));
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

interface TokenState {
  clientId: string;
  expiresAt: number;
  revoked: boolean;
  windowStart: number;
  count: number;
}

export type StoredMessage = FakeMessage & { id: string; direction: "inbound" | "outbound"; timestamp: string };

interface ConversationState {
  messages: StoredMessage[];
}

/** A running fake; see {@link startGenesysFake}. */
export class GenesysFake {
  /** Origin of the API and login routes, e.g. `http://127.0.0.1:41234`. */
  baseUrl = "";
  /** Origin of the "pre-signed storage" server (a different origin, no token allowed). */
  presignedBaseUrl = "";
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Queues by id (GET/PUT state). */
  readonly queues = new Map<string, Record<string, unknown>>();
  /** Org-level utilization (full object per media type). */
  orgUtilization: Record<string, unknown> = structuredClone(DEFAULT_UTILIZATION);
  /** Per-user utilization set by PUT. */
  readonly userUtilization = new Map<string, Record<string, unknown>>();
  /** Participant attributes by `${conversationId}/${participantId}`. */
  readonly participantAttributes = new Map<string, Record<string, string>>();
  /** Rate-limit windows per client id (rateLimitScope "client"). */
  private readonly clientWindows = new Map<string, { windowStart: number; count: number }>();
  /** Number of tokens issued. */
  tokensIssued = 0;
  /** Conversations the analytics details query searches. */
  readonly analyticsConversations: AnalyticsConversation[] = [];
  /** Integrations of the org, by id (`addIntegration`). */
  readonly integrations = new Map<string, FakeIntegration>();
  private sortedAnalytics: Array<{ c: AnalyticsConversation; start: number; end: number }> | undefined;
  /** X-Amz-Expires of the pre-signed URLs the fake issues (0: expired on arrival). */
  presignedLifetimeSeconds = 300;
  /** Roles of the org by id (`addRole`). */
  readonly roles = new Map<string, { id: string; name: string }>();
  /** Role grants of each OAuth client by client id (`assignRole`). */
  readonly clientRoles = new Map<string, Array<{ roleId: string; divisionId: string }>>();

  private readonly clients: Array<{ clientId: string; clientSecret: string }>;
  private readonly tokens = new Map<string, TokenState>();
  private readonly conversations = new Map<string, ConversationState>();
  private readonly media = new Map<string, FakeAttachment>();
  private readonly faults = new Map<GenesysRoute, Fault[]>();
  private readonly servers: http.Server[] = [];
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly now: () => number;

  constructor(private readonly options: GenesysFakeOptions = {}) {
    this.clients = options.clients ?? [{ clientId: "fake-client-id", clientSecret: "fake-client-secret" }];
    this.now = options.now ?? Date.now;
  }

  /** Creates a role in the org; returns its id. */
  addRole(name: string): string {
    const id = randomUUID();
    this.roles.set(id, { id, name });
    return id;
  }

  /** Grants a role to an OAuth client (what an admin does on the client's Roles tab). */
  assignRole(clientId: string, roleId: string, divisionId = "home-division"): void {
    this.clientRoles.set(clientId, [...(this.clientRoles.get(clientId) ?? []), { roleId, divisionId }]);
  }

  /** The first valid client credentials pair. */
  get credentials(): { clientId: string; clientSecret: string } {
    return { ...this.clients[0]! };
  }

  /** Starts both servers (API + pre-signed). Called by {@link startGenesysFake}. */
  async listen(): Promise<void> {
    this.baseUrl = await this.serve((req, res) => this.handleApi(req, res));
    this.presignedBaseUrl = await this.serve((req, res) => this.handlePresigned(req, res));
  }

  /** Stops the servers and releases hanging requests. */
  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  }

  /** Queues faults for the next requests of `route` (consumed in order). */
  failNext(route: GenesysRoute, faults: Fault[]): void {
    this.faults.set(route, [...(this.faults.get(route) ?? []), ...faults]);
  }

  /** Drops all queued faults. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Clears the request log. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Requests of one route (convenience for assertions). */
  requestsOf(route: GenesysRoute): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  /** Revokes every issued token (next use answers 401 bad.credentials). */
  revokeTokens(): void {
    for (const token of this.tokens.values()) token.revoked = true;
  }

  /** Expires every issued token now. */
  expireTokens(): void {
    for (const token of this.tokens.values()) token.expiresAt = this.now() - 1;
  }

  /**
   * Adds a messaging conversation; its transcript is served by the recordings and
   * messages routes, attachments by the media route. Returns the stored messages (with ids).
   */
  addConversation(conversationId: string, messages: FakeMessage[]): StoredMessage[] {
    const start = Date.parse("2024-05-01T10:00:00Z");
    const stored = messages.map((message, index): StoredMessage => ({
      ...message,
      id: message.id ?? `${conversationId}-m${index + 1}`,
      direction: message.direction ?? (index % 2 === 0 ? "inbound" : "outbound"),
      timestamp: message.timestamp ?? new Date(start + index * 1000).toISOString(),
    }));
    for (const message of stored) for (const attachment of message.attachments ?? []) this.media.set(attachment.id, attachment);
    this.conversations.set(conversationId, { messages: stored });
    return stored;
  }

  /** Adds conversations to what the analytics details query finds. */
  addAnalyticsConversations(conversations: AnalyticsConversation[]): void {
    this.analyticsConversations.push(...conversations);
  }

  /** Adds (or replaces) an integration; returns its id. */
  addIntegration(integration: Omit<FakeIntegration, "id"> & { id?: string }): string {
    const id = integration.id ?? randomUUID();
    this.integrations.set(id, { ...integration, id });
    return id;
  }

  /** URL at which the fake serves an attachment. */
  mediaUrl(attachment: Pick<FakeAttachment, "id" | "name">): string {
    return `${this.baseUrl}/media/${encodeURIComponent(attachment.id)}/${encodeURIComponent(attachment.name)}`;
  }

  /** Stores a queue (as if configured in Genesys). */
  setQueue(queue: { id: string; name: string } & Record<string, unknown>): void {
    this.queues.set(queue.id, structuredClone(queue));
  }

  // ---- internals ----

  private async serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>): Promise<string> {
    const server = http.createServer((req, res) => {
      handler(req, res).catch((error) => {
        if (!res.headersSent) this.json(res, 500, { message: String(error), code: "internal.server.error", status: 500 });
        else res.destroy();
      });
    });
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private async handleApi(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    const method = req.method ?? "GET";
    const bodyText = await readBody(req);
    const record: RecordedRequest = {
      route: "unknown",
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: parseMaybeJson(bodyText),
      status: 0,
      at: this.now(),
    };
    const authorization = req.headers.authorization ?? "";
    if (/^basic /i.test(authorization)) record.auth = "basic";
    if (/^bearer /i.test(authorization)) {
      record.auth = "bearer";
      record.token = authorization.slice(7).trim();
    }
    this.requests.push(record);
    res.on("finish", () => (record.status = res.statusCode));

    const route = matchRoute(method, url.pathname);
    if (!route) {
      this.error(res, 404, "not.found", `no route ${method} ${url.pathname}`);
      return;
    }
    record.route = route.name;
    if (await this.applyFault(route.name, res)) return;

    if (route.name === "token") return this.token(req, res, bodyText);

    // Every other route needs a valid bearer token, except presigned media (handled by the media route).
    const media = route.name === "media" ? this.media.get(route.params[0]!) : undefined;
    if (!(media?.presigned && !record.token)) {
      const tokenState = this.authenticate(record.token, res);
      if (!tokenState) return;
      if (!this.rateLimit(tokenState, res)) return;
    }

    switch (route.name) {
      case "recordings":
        return this.recordings(res, route.params[0]!);
      case "message":
        return this.message(res, route.params[0]!, route.params[1]!);
      case "messagesBulk":
        return this.messagesBulk(res, route.params[0]!, record.body);
      case "media":
        return this.serveMedia(res, route.params[0]!, media, true);
      case "queue":
        return this.queue(res, method, route.params[0]!, record.body);
      case "utilization":
        return this.utilization(res, method, undefined, record.body);
      case "userUtilization":
        return this.utilization(res, method, route.params[0]!, record.body);
      case "participantAttributes":
        return this.attributes(res, route.params[0]!, route.params[1]!, record.body);
      case "analyticsDetails":
        return this.analyticsDetails(res, record.body);
      case "oauthClient":
        return this.oauthClient(res, route.params[0]!);
      case "authorizationRoles":
        return this.authorizationRoles(res, record.query);
      case "integrations": {
        const pageSize = Math.min(Number(url.searchParams.get("pageSize") ?? 25), 100);
        const pageNumber = Number(url.searchParams.get("pageNumber") ?? 1);
        const all = [...this.integrations.values()].map(integrationEntity);
        return this.json(res, 200, { entities: all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize), pageSize, pageNumber, total: all.length, pageCount: Math.max(1, Math.ceil(all.length / pageSize)) });
      }
      case "integration": {
        const integration = this.integrations.get(decodeURIComponent(route.params[0]!));
        return integration ? this.json(res, 200, integrationEntity(integration)) : this.error(res, 404, "not.found", "integration not found");
      }
      default:
        this.error(res, 404, "not.found", "not found");
    }
  }

  private async handlePresigned(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.presignedBaseUrl);
    const record: RecordedRequest = {
      route: "presigned",
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      at: this.now(),
    };
    const authorization = req.headers.authorization ?? "";
    if (authorization) {
      record.auth = /^bearer /i.test(authorization) ? "bearer" : "basic";
      record.token = authorization.replace(/^\w+ /, "");
    }
    this.requests.push(record);
    res.on("finish", () => (record.status = res.statusCode));
    if (await this.applyFault("presigned", res)) return;
    // Like S3: a pre-signed URL plus an Authorization header is rejected.
    if (authorization) {
      res.writeHead(400, { "content-type": "application/xml" }).end("<Error><Code>InvalidArgument</Code></Error>");
      return;
    }
    const match = /^\/blobs\/([^/]+)$/.exec(url.pathname);
    if (!match || url.searchParams.get("signature") !== signatureOf(decodeURIComponent(match[1]!))) {
      res.writeHead(403).end("<Error><Code>AccessDenied</Code></Error>");
      return;
    }
    const signedAt = url.searchParams.get("X-Amz-Date") ?? "";
    const signedAtMs = Date.parse(`${signedAt.slice(0, 4)}-${signedAt.slice(4, 6)}-${signedAt.slice(6, 11)}:${signedAt.slice(11, 13)}:${signedAt.slice(13)}`);
    const lifetime = Number(url.searchParams.get("X-Amz-Expires"));
    if (!(signedAtMs + lifetime * 1000 > this.now())) {
      res.writeHead(403, { "content-type": "application/xml" }).end("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
      return;
    }
    const id = decodeURIComponent(match[1]!);
    return this.serveMedia(res, id, this.media.get(id), false);
  }

  private async applyFault(route: GenesysRoute, res: http.ServerResponse): Promise<boolean> {
    const queue = this.faults.get(route);
    const fault = queue?.[0];
    if (!fault || isMediaFault(fault)) return false; // consumed by serveMedia
    queue!.shift();
    if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault.hang) {
      this.hanging.add(res);
      res.on("close", () => this.hanging.delete(res));
      return true;
    }
    if (fault.status === undefined) return false; // a pure delay
    const status = fault.status;
    if (status === 429) {
      const retryAfter = fault.retryAfter ?? 1;
      res.setHeader("retry-after", String(retryAfter));
      res.setHeader("inin-ratelimit-count", String(this.options.rateLimitPerMinute ?? 300));
      res.setHeader("inin-ratelimit-allowed", String(this.options.rateLimitPerMinute ?? 300));
      res.setHeader("inin-ratelimit-reset", String(retryAfter));
    }
    if (fault.body !== undefined) {
      this.json(res, status, fault.body);
      return true;
    }
    if (status >= 200 && status < 300) {
      res.writeHead(status).end();
      return true;
    }
    const code = fault.code ?? defaultCode(status);
    if (route === "token") this.json(res, status, { error: code, description: `scripted ${status}` });
    else this.error(res, status, code, `scripted fault ${status}`);
    return true;
  }

  private token(req: http.IncomingMessage, res: http.ServerResponse, bodyText: string): void {
    const authorization = req.headers.authorization ?? "";
    const params = new URLSearchParams(bodyText);
    if (params.get("grant_type") !== "client_credentials") {
      this.json(res, 400, { error: "unsupported_grant_type", description: "grant_type must be client_credentials" });
      return;
    }
    if (!/^basic /i.test(authorization)) {
      this.json(res, 401, { error: "invalid_client", description: "client authentication required" });
      return;
    }
    const [clientId, ...rest] = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8").split(":");
    const client = this.clients.find((c) => c.clientId === clientId);
    if (!client) {
      this.json(res, 400, { error: "invalid_client", description: "client not found" });
      return;
    }
    if (client.clientSecret !== rest.join(":")) {
      this.json(res, 401, { error: "invalid_client", description: "bad client secret" });
      return;
    }
    const lifetime = this.options.tokenLifetimeSeconds ?? 86_400;
    const accessToken = randomUUID();
    this.tokens.set(accessToken, { clientId: client.clientId, expiresAt: this.now() + lifetime * 1000, revoked: false, windowStart: this.now(), count: 0 });
    this.tokensIssued++;
    this.json(res, 200, { access_token: accessToken, token_type: "bearer", expires_in: lifetime });
  }

  private authenticate(token: string | undefined, res: http.ServerResponse): TokenState | undefined {
    if (!token) {
      this.error(res, 401, "authentication.required", "No authentication bearer token specified in authorization header.");
      return undefined;
    }
    const state = this.tokens.get(token);
    if (!state || state.revoked || state.expiresAt <= this.now()) {
      this.error(res, 401, "bad.credentials", "Invalid login credentials.");
      return undefined;
    }
    return state;
  }

  private rateLimit(tokenState: TokenState, res: http.ServerResponse): boolean {
    const allowed = this.options.rateLimitPerMinute;
    if (allowed === undefined) return true;
    let state: { windowStart: number; count: number } = tokenState;
    if (this.options.rateLimitScope === "client") {
      state = this.clientWindows.get(tokenState.clientId) ?? { windowStart: this.now(), count: 0 };
      this.clientWindows.set(tokenState.clientId, state);
    }
    const minuteMs = this.options.minuteMs ?? 60_000;
    const now = this.now();
    if (now - state.windowStart >= minuteMs) {
      state.windowStart = now;
      state.count = 0;
    }
    state.count++;
    const resetSeconds = Math.max(1, Math.ceil((state.windowStart + minuteMs - now) / 1000));
    res.setHeader("inin-ratelimit-count", String(state.count));
    res.setHeader("inin-ratelimit-allowed", String(allowed));
    res.setHeader("inin-ratelimit-reset", String(resetSeconds));
    if (state.count <= allowed) return true;
    res.setHeader("retry-after", String(resetSeconds));
    this.error(res, 429, "too.many.requests.retry.after", `Rate limit exceeded the maximum. Retry the request in [${resetSeconds}] seconds`);
    return false;
  }

  private recordings(res: http.ServerResponse, conversationId: string): void {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) return this.error(res, 404, "not.found", `conversation ${conversationId} not found`);
    this.json(res, 200, [
      {
        id: `${conversationId}-recording`,
        conversationId,
        media: "message",
        fileState: "AVAILABLE",
        messagingTranscript: conversation.messages.map((message) => ({
          id: message.id,
          from: message.direction === "inbound" ? "customer" : "agent",
          to: message.direction === "inbound" ? "agent" : "customer",
          timestamp: message.timestamp,
          purpose: message.direction === "inbound" ? "customer" : "agent",
          messageText: message.messageText ?? "",
          messageMediaAttachments: (message.attachments ?? []).map((attachment) => ({
            url: this.mediaUrl(attachment),
            mediaType: attachment.mediaType ?? "image/png",
            contentLength: attachment.size,
            name: attachment.name,
            id: attachment.id,
          })),
        })),
      },
    ]);
  }

  private messageEntity(message: StoredMessage): Record<string, unknown> {
    return {
      id: message.id,
      textBody: message.messageText ?? "",
      direction: message.direction,
      timestamp: message.timestamp,
      media: (message.attachments ?? []).map((attachment) => ({
        url: this.mediaUrl(attachment),
        mediaType: attachment.mediaType ?? "image/png",
        contentLengthBytes: attachment.size,
        name: attachment.name,
        id: attachment.id,
      })),
    };
  }

  private message(res: http.ServerResponse, conversationId: string, messageId: string): void {
    const message = this.conversations.get(conversationId)?.messages.find((m) => m.id === messageId);
    if (!message) return this.error(res, 404, "not.found", `message ${messageId} not found`);
    this.json(res, 200, this.messageEntity(message));
  }

  private messagesBulk(res: http.ServerResponse, conversationId: string, body: unknown): void {
    if (!Array.isArray(body) || body.some((id) => typeof id !== "string")) {
      return this.error(res, 400, "bad.request", "body must be a JSON array of message ids");
    }
    if (body.length > 1000) return this.error(res, 400, "bad.request", "at most 1000 message ids");
    const conversation = this.conversations.get(conversationId);
    if (!conversation) return this.error(res, 404, "not.found", `conversation ${conversationId} not found`);
    const entities = conversation.messages.filter((m) => body.includes(m.id)).map((m) => this.messageEntity(m));
    this.json(res, 200, { entities, pageSize: entities.length, pageNumber: 1, total: entities.length });
  }

  private serveMedia(res: http.ServerResponse, id: string, media: FakeAttachment | undefined, viaApi: boolean): void {
    if (!media) return this.error(res, 404, "not.found", `media ${id} not found`);
    if (viaApi && media.presigned) {
      // S3-style pre-signed URL: signed now, valid for presignedLifetimeSeconds (403 "Request has expired" after).
      const signedAt = new Date(this.now()).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
      const query = `X-Amz-Date=${signedAt}&X-Amz-Expires=${this.presignedLifetimeSeconds}&signature=${signatureOf(id)}`;
      res.writeHead(302, { location: `${this.presignedBaseUrl}/blobs/${encodeURIComponent(id)}?${query}` }).end();
      return;
    }
    const route: GenesysRoute = viaApi ? "media" : "presigned";
    const queue = this.faults.get(route);
    const head = queue?.[0];
    const fault = head && isMediaFault(head) && (head.mediaId === undefined || head.mediaId === id) ? queue!.shift()! : undefined;
    const abortAfter = fault?.abortAfterBytes;
    const full = attachmentContent(media.id, media.size);
    const content = fault?.truncateTo !== undefined ? full.subarray(0, fault.truncateTo) : full;
    res.writeHead(200, { "content-type": media.mediaType ?? "image/png", ...(fault?.chunked ? {} : { "content-length": String(content.length) }) });
    const limit = abortAfter ?? content.length;
    let offset = 0;
    const CHUNK = 64 * 1024;
    // A client that went away (a function's time guard gave up on a slow download) stops the stream.
    let paced: NodeJS.Timeout | undefined;
    res.once("close", () => clearTimeout(paced));
    const writeMore = (): void => {
      if (res.destroyed) return;
      while (offset < limit) {
        const end = Math.min(offset + CHUNK, limit);
        const ok = res.write(content.subarray(offset, end));
        offset = end;
        if (fault?.bytesPerSecond && offset < limit) {
          paced = setTimeout(writeMore, (CHUNK / fault.bytesPerSecond) * 1000);
          return;
        }
        if (!ok) {
          res.once("drain", writeMore);
          return;
        }
      }
      if (abortAfter !== undefined) setImmediate(() => res.destroy());
      else res.end();
    };
    writeMore();
  }

  private oauthClient(res: http.ServerResponse, clientId: string): void {
    if (!this.clients.some((c) => c.clientId === clientId)) return this.error(res, 404, "not.found", `OAuth client ${clientId} not found`);
    this.json(res, 200, { id: clientId, name: `client ${clientId}`, authorizedGrantType: "CLIENT-CREDENTIALS", state: "active", roleDivisions: this.clientRoles.get(clientId) ?? [] });
  }

  private authorizationRoles(res: http.ServerResponse, query: Record<string, string>): void {
    const pageSize = Number(query.pageSize ?? 25);
    const pageNumber = Number(query.pageNumber ?? 1);
    const name = (query.name ?? "").toLowerCase();
    const all = [...this.roles.values()].filter((r) => r.name.toLowerCase().includes(name));
    const entities = all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    this.json(res, 200, { entities, pageSize, pageNumber, total: all.length, pageCount: Math.ceil(all.length / pageSize) });
  }

  private queue(res: http.ServerResponse, method: string, id: string, body: unknown): void {
    const current = this.queues.get(id);
    if (!current) return this.error(res, 404, "not.found", `queue ${id} not found`);
    if (method === "GET") return this.json(res, 200, current);
    if (!isObject(body) || typeof body.name !== "string" || !body.name) {
      return this.error(res, 400, "bad.request", "The queue name is required.");
    }
    // Full replace: whatever the body omits is gone. No version, no ETag: last writer wins.
    const replaced = { ...structuredClone(body), id, dateModified: new Date(this.now()).toISOString() };
    this.queues.set(id, replaced);
    this.json(res, 200, replaced);
  }

  private utilization(res: http.ServerResponse, method: string, userId: string | undefined, body: unknown): void {
    if (method === "GET") {
      if (userId && this.userUtilization.has(userId)) {
        return this.json(res, 200, { utilization: this.userUtilization.get(userId), level: "Agent" });
      }
      return this.json(res, 200, { utilization: this.orgUtilization, ...(userId ? { level: "Organization" } : {}) });
    }
    if (!isObject(body) || !isObject(body.utilization)) return this.error(res, 400, "bad.request", "utilization is required");
    const next: Record<string, unknown> = {};
    for (const mediaType of MEDIA_TYPES) {
      const given = body.utilization[mediaType];
      if (given === undefined) {
        next[mediaType] = structuredClone(DEFAULT_UTILIZATION[mediaType]); // omitted: reset to default
        continue;
      }
      if (!isObject(given)) return this.error(res, 400, "bad.request", `utilization.${mediaType} must be an object`);
      const capacity = given.maximumCapacity;
      if (typeof capacity !== "number" || !Number.isInteger(capacity) || capacity < 0 || capacity > 25) {
        return this.error(res, 400, "bad.request", `utilization.${mediaType}.maximumCapacity must be an integer 0-25`);
      }
      next[mediaType] = {
        maximumCapacity: capacity,
        interruptableMediaTypes: Array.isArray(given.interruptableMediaTypes) ? given.interruptableMediaTypes : [],
        includeNonAcd: given.includeNonAcd === true,
      };
    }
    const unknown = Object.keys(body.utilization).filter((k) => !MEDIA_TYPES.includes(k));
    if (unknown.length) return this.error(res, 400, "bad.request", `unknown media type(s): ${unknown.join(", ")}`);
    if (userId) this.userUtilization.set(userId, next);
    else this.orgUtilization = next;
    this.json(res, 200, { utilization: next, ...(userId ? { level: "Agent" } : {}) });
  }

  private attributes(res: http.ServerResponse, conversationId: string, participantId: string, body: unknown): void {
    if (!isObject(body) || !isObject(body.attributes) || Object.values(body.attributes).some((v) => typeof v !== "string")) {
      return this.error(res, 400, "bad.request", 'body must be {"attributes": {"key": "string value"}}');
    }
    const key = `${conversationId}/${participantId}`;
    this.participantAttributes.set(key, { ...(this.participantAttributes.get(key) ?? {}), ...(body.attributes as Record<string, string>) });
    res.writeHead(202).end();
  }

  /**
   * The details query: conversations that started on a day touched by the interval and
   * started, ended or had activity in it, filtered by the mediaType and conversationEnd
   * predicates the body carries, ordered by conversationStart, one page at a time.
   */
  private analyticsDetails(res: http.ServerResponse, body: unknown): void {
    if (!isObject(body) || typeof body.interval !== "string") return this.error(res, 400, "bad.request", "interval is required");
    const [from, to] = body.interval.split("/").map((t: string) => Date.parse(t));
    if (!Number.isFinite(from) || !Number.isFinite(to) || !(from! < to!)) return this.error(res, 400, "bad.request", `invalid interval ${body.interval}`);
    const paging = isObject(body.paging) ? body.paging : {};
    const pageSize = paging.pageSize ?? 25;
    const pageNumber = paging.pageNumber ?? 1;
    if (!Number.isInteger(pageSize) || pageSize < 1 || !Number.isInteger(pageNumber) || pageNumber < 1) {
      return this.error(res, 400, "bad.request", "paging.pageSize and paging.pageNumber must be positive integers");
    }
    if (pageSize * pageNumber > ANALYTICS_RESULT_CAP) return this.error(res, 400, "bad.request", "Pagination may not exceed 100000 results.");
    let filter: (c: AnalyticsConversation) => boolean;
    try {
      filter = compileFilters([body.segmentFilters, body.conversationFilters]);
    } catch (error) {
      return this.error(res, 400, "bad.request", (error as Error).message);
    }
    const dayStart = new Date(from!).setUTCHours(0, 0, 0, 0);
    const matches = this.analyticsByStart()
      .filter(({ start, end }) => start >= dayStart && start < to! && end >= from!)
      .map(({ c }) => c)
      .filter(filter);
    if (body.order === "desc") matches.reverse();
    const page = matches.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map((c) => ({
      conversationId: c.conversationId,
      conversationStart: c.conversationStart,
      ...(c.conversationEnd ? { conversationEnd: c.conversationEnd } : {}),
      originatingDirection: "inbound",
      divisionIds: ["00000000-0000-0000-0000-000000000000"],
      participants: [
        { participantId: `${c.conversationId}-customer`, purpose: "customer", sessions: [{ mediaType: c.mediaType, direction: "inbound" }] },
      ],
    }));
    // Like the service: an empty page has no `conversations` key at all.
    this.json(res, 200, page.length ? { conversations: page, totalHits: matches.length } : { totalHits: matches.length });
  }

  /** The analytics conversations ordered by conversationStart (then id), times parsed once; rebuilt when some were added. */
  private analyticsByStart(): Array<{ c: AnalyticsConversation; start: number; end: number }> {
    if (this.sortedAnalytics?.length !== this.analyticsConversations.length) {
      this.sortedAnalytics = this.analyticsConversations
        .map((c) => ({ c, start: Date.parse(c.conversationStart), end: c.conversationEnd ? Date.parse(c.conversationEnd) : Number.POSITIVE_INFINITY }))
        .sort((a, b) => a.start - b.start || (a.c.conversationId < b.c.conversationId ? -1 : a.c.conversationId > b.c.conversationId ? 1 : 0));
    }
    return this.sortedAnalytics;
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) }).end(text);
  }

  private error(res: http.ServerResponse, status: number, code: string, message: string): void {
    this.json(res, status, { message, code, status, messageParams: {}, contextId: randomUUID(), details: [], errors: [] });
  }
}

/** The dimensions and metrics the fake's details query can filter on (others answer 400). */
const DETAIL_DIMENSIONS: Record<string, (c: AnalyticsConversation) => string | undefined> = {
  mediaType: (c) => c.mediaType,
  conversationId: (c) => c.conversationId,
  conversationStart: (c) => c.conversationStart,
  conversationEnd: (c) => c.conversationEnd,
};
const DETAIL_METRICS: Record<string, (c: AnalyticsConversation) => number | undefined> = {
  // Milliseconds from start to end; a live conversation has no duration yet.
  tConversationDuration: (c) => (c.conversationEnd ? Date.parse(c.conversationEnd) - Date.parse(c.conversationStart) : undefined),
};

/**
 * `segmentFilters` / `conversationFilters` as one predicate (all filters must hold): each filter is
 * `{type: "and"|"or", predicates?, clauses?}`; a predicate `{type, dimension|metric, operator
 * (matches, the default | exists | notExists), value | range {gt, gte, lt, lte}}`.
 */
function compileFilters(lists: unknown[]): (c: AnalyticsConversation) => boolean {
  const filters = lists.flatMap((list) => (Array.isArray(list) ? list : []));
  const compiled = filters.map(compileClause);
  return (c) => compiled.every((f) => f(c));
}

function compileClause(clause: any): (c: AnalyticsConversation) => boolean {
  if (!isObject(clause) || (clause.type !== "and" && clause.type !== "or")) throw new Error('a filter needs type "and" or "or"');
  const parts = [...(Array.isArray(clause.predicates) ? clause.predicates.map(compilePredicate) : []), ...(Array.isArray(clause.clauses) ? clause.clauses.map(compileClause) : [])];
  return clause.type === "or" ? (c) => parts.some((p) => p(c)) : (c) => parts.every((p) => p(c));
}

function compilePredicate(predicate: any): (c: AnalyticsConversation) => boolean {
  const operator = predicate?.operator ?? "matches";
  if (!["matches", "exists", "notExists"].includes(operator)) throw new Error(`unknown operator ${operator}`);
  let read: (c: AnalyticsConversation) => string | number | undefined;
  if (typeof predicate?.dimension === "string") {
    const dimension = DETAIL_DIMENSIONS[predicate.dimension];
    if (!dimension) throw new Error(`the fake cannot filter on dimension ${predicate.dimension}`);
    if (predicate.range !== undefined) throw new Error(`the fake has no range on dimension ${predicate.dimension}`);
    read = dimension;
  } else if (typeof predicate?.metric === "string") {
    const metric = DETAIL_METRICS[predicate.metric];
    if (!metric) throw new Error(`the fake cannot filter on metric ${predicate.metric}`);
    read = metric;
  } else {
    throw new Error("a predicate needs a dimension or a metric");
  }
  if (operator === "exists") return (c) => read(c) !== undefined;
  if (operator === "notExists") return (c) => read(c) === undefined;
  if (isObject(predicate.range)) {
    const { gt, gte, lt, lte } = predicate.range as Record<string, number | undefined>;
    return (c) => {
      const value = read(c);
      return typeof value === "number" && (gt === undefined || value > gt) && (gte === undefined || value >= gte) && (lt === undefined || value < lt) && (lte === undefined || value <= lte);
    };
  }
  if (predicate.value === undefined) throw new Error("a matches predicate needs a value or a range");
  const wanted = String(predicate.value).toLowerCase();
  return (c) => String(read(c) ?? "").toLowerCase() === wanted;
}

/** Starts a fake on 127.0.0.1 (port 0). Close it in afterAll. */
export async function startGenesysFake(options: GenesysFakeOptions = {}): Promise<GenesysFake> {
  const fake = new GenesysFake(options);
  await fake.listen();
  return fake;
}

/** An integration of the org (platform SDK model `Integration`). */
export interface FakeIntegration {
  id: string;
  name: string;
  /** e.g. `amazon-eventbridge-source` */
  type: string;
  intendedState: "ENABLED" | "DISABLED" | "DELETED";
  /** `reportedState.code`, e.g. ACTIVE or ERROR. */
  reportedCode: string;
  reportedDetail?: string;
}

function integrationEntity(i: FakeIntegration) {
  return {
    id: i.id,
    name: i.name,
    integrationType: { id: i.type },
    intendedState: i.intendedState,
    reportedState: { code: i.reportedCode, effective: i.reportedCode, ...(i.reportedDetail ? { detail: { message: i.reportedDetail } } : {}) },
    selfUri: `/api/v2/integrations/${i.id}`,
  };
}

function matchRoute(method: string, path: string): { name: GenesysRoute; params: string[] } | undefined {
  const table: Array<[string[], RegExp, GenesysRoute]> = [
    [["POST"], /^\/oauth\/token$/, "token"],
    [["GET"], /^\/api\/v2\/conversations\/([^/]+)\/recordings$/, "recordings"],
    [["POST"], /^\/api\/v2\/conversations\/messages\/([^/]+)\/messages\/bulk$/, "messagesBulk"],
    [["GET"], /^\/api\/v2\/conversations\/messages\/([^/]+)\/messages\/([^/]+)$/, "message"],
    [["GET"], /^\/media\/([^/]+)\/[^/]+$/, "media"],
    [["GET", "PUT"], /^\/api\/v2\/routing\/queues\/([^/]+)$/, "queue"],
    [["GET", "PUT"], /^\/api\/v2\/routing\/utilization$/, "utilization"],
    [["GET", "PUT"], /^\/api\/v2\/routing\/users\/([^/]+)\/utilization$/, "userUtilization"],
    [["PATCH"], /^\/api\/v2\/conversations\/([^/]+)\/participants\/([^/]+)\/attributes$/, "participantAttributes"],
    [["POST"], /^\/api\/v2\/analytics\/conversations\/details\/query$/, "analyticsDetails"],
    [["GET"], /^\/api\/v2\/oauth\/clients\/([^/]+)$/, "oauthClient"],
    [["GET"], /^\/api\/v2\/authorization\/roles$/, "authorizationRoles"],
    [["GET"], /^\/api\/v2\/integrations$/, "integrations"],
    [["GET"], /^\/api\/v2\/integrations\/([^/]+)$/, "integration"],
  ];
  for (const [methods, pattern, name] of table) {
    const match = pattern.exec(path);
    if (match && methods.includes(method)) return { name, params: match.slice(1).map(decodeURIComponent) };
  }
  return undefined;
}

function isMediaFault(fault: Fault): boolean {
  return fault.abortAfterBytes !== undefined || fault.truncateTo !== undefined || fault.bytesPerSecond !== undefined || fault.chunked !== undefined;
}

function defaultCode(status: number): string {
  if (status === 429) return "too.many.requests.retry.after";
  if (status === 401) return "bad.credentials";
  if (status === 404) return "not.found";
  if (status === 400) return "bad.request";
  if (status === 503) return "service.unavailable";
  if (status >= 500) return "internal.server.error";
  return "error";
}

function signatureOf(id: string): string {
  return createHash("sha256").update(`presigned:${id}`).digest("hex").slice(0, 16);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseMaybeJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
