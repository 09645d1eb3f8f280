/**
 * A small Genesys Cloud Platform API client for Lambda handlers.
 *
 * Why not the official SDK (`purecloud-platform-client-v2`): it is a process-wide
 * singleton, does not retry 429s, does not re-login on 401 for client credentials
 * and bundles to several MB (axios, winston, configparser). This client does what
 * the pipelines need and nothing else:
 * - client-credentials login, token cached at module scope (shared by every client
 *   in the process, so warm invocations reuse it) and refreshed before expiry;
 * - on 401 (`bad.credentials`: expired or revoked token) one re-login and one retry;
 * - 429 honours `Retry-After` when the wait fits in the invocation's remaining time,
 *   otherwise throws {@link GenesysRateLimitedError} for the caller's retry policy;
 * - a timeout on every request;
 * - the bearer token goes only to the API origin, never to other hosts, and download
 *   redirects (pre-signed URLs) are followed without it.
 *
 * Error class names are matched by Step Functions Retry/Catch: keep them stable.
 */
import { createHash } from "node:crypto";
import { BUSINESS_METRICS, countMetric } from "./metrics";

/** Options for {@link GenesysClient}. */
export interface GenesysClientOptions {
  /** Genesys region domain, e.g. `mypurecloud.com`. */
  domain: string;
  /**
   * Client-credentials pair; called when a token is needed (cache it yourself, e.g. secrets.ts).
   * Called with `refresh: true` once after Genesys refused the pair (`invalid_client`): the
   * secret may have been fixed or rotated since it was cached, so read it again.
   */
  credentials: (opts?: { refresh?: boolean }) => Promise<{ clientId: string; clientSecret: string }>;
  /** @default `https://api.<domain>` */
  apiBaseUrl?: string;
  /** @default `https://login.<domain>` */
  loginBaseUrl?: string;
  /** Timeout of each HTTP request (and the idle timeout of a download body). @default 10000 */
  requestTimeoutMs?: number;
  /** Remaining invocation time; a 429 wait longer than this (minus a margin) throws. @default no limit */
  remainingTimeMs?: () => number;
  /** @default global fetch */
  fetchImpl?: typeof fetch;
  /** Injected in tests so waits do not really sleep. @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
  /** Clock for token expiry. @default Date.now */
  now?: () => number;
  /** How many 429s one call waits out before giving up. @default 3 */
  maxRateLimitRetries?: number;
  /**
   * Awaited before every API request is sent, retries included (e.g. a pacer's slot, so a rate
   * budget counts every request that reaches Genesys). Not called for the login.
   */
  beforeRequest?: () => Promise<void>;
}

/** 429 that cannot be waited out within the invocation (or too many in a row). */
export class GenesysRateLimitedError extends Error {
  override readonly name = "GenesysRateLimitedError";
  constructor(
    message: string,
    /** Seconds Genesys asked to wait (Retry-After). */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** 5xx, network failure or timeout: worth retrying later. */
export class GenesysTransientError extends Error {
  override readonly name = "GenesysTransientError";
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Login refused (`invalid_client`) or still 401 after the one re-login. */
export class GenesysAuthError extends Error {
  override readonly name = "GenesysAuthError";
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Any other 4xx: the request itself is wrong; retrying will not help. */
export class GenesysClientError extends Error {
  override readonly name = "GenesysClientError";
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** HTTP methods the client issues. */
export type HttpMethod = "GET" | "PUT" | "POST" | "PATCH" | "DELETE";

/** Result of {@link GenesysClient.download}. */
export interface GenesysDownload {
  body: ReadableStream<Uint8Array>;
  contentType?: string;
  contentLength?: number;
  /** `Content-MD5` (base64) if the server sent one: the only digest a media download may carry. */
  contentMd5?: string;
}

interface CachedToken {
  accessToken: string;
  /** Epoch ms after which the token is refreshed (before its real expiry). */
  refreshAt: number;
}

// Module scope on purpose: survives across warm invocations and client instances.
const tokenCache = new Map<string, CachedToken>();
const pendingLogins = new Map<string, Promise<CachedToken>>();

/** Forget every cached token (tests; or after rotating credentials). */
export function clearGenesysTokenCache(): void {
  tokenCache.clear();
  pendingLogins.clear();
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 5;
/** Time kept back after a 429 wait for the retried request itself. */
const RATE_LIMIT_MARGIN_MS = 2_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Genesys Cloud API client (see the module comment for its behaviour).
 *
 * @example
 * const genesys = new GenesysClient({ domain: "mypurecloud.ie", credentials: () => getGenesysCredentials(arn),
 *   remainingTimeMs: () => context.getRemainingTimeInMillis() });
 * const queue = await genesys.request<Queue>("GET", `/api/v2/routing/queues/${queueId}`);
 */
export class GenesysClient {
  private readonly apiBase: URL;
  private readonly loginBase: URL;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly maxRateLimitRetries: number;

  constructor(private readonly options: GenesysClientOptions) {
    if (!options.domain && !(options.apiBaseUrl && options.loginBaseUrl)) {
      throw new Error("GenesysClient: domain is required");
    }
    this.apiBase = new URL(options.apiBaseUrl ?? `https://api.${options.domain}`);
    this.loginBase = new URL(options.loginBaseUrl ?? `https://login.${options.domain}`);
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
    this.maxRateLimitRetries = options.maxRateLimitRetries ?? 3;
  }

  /**
   * Calls the Platform API and returns the parsed JSON body (undefined when empty).
   * @param path absolute path on the API host, e.g. `/api/v2/routing/queues/abc`
   * @throws GenesysRateLimitedError | GenesysTransientError | GenesysAuthError | GenesysClientError
   */
  async request<T>(
    method: HttpMethod,
    path: string,
    opts: { body?: unknown; query?: Record<string, string> } = {},
  ): Promise<T> {
    if (!path.startsWith("/")) throw new Error(`GenesysClient.request: path must start with "/": ${path}`);
    const url = new URL(path, this.apiBase);
    for (const [key, value] of Object.entries(opts.query ?? {})) url.searchParams.set(key, value);
    const hasBody = opts.body !== undefined;
    const response = await this.authorizedCall(url, (token) =>
      this.timedFetch(url, {
        method,
        headers: {
          Accept: "application/json",
          Authorization: `Bearer ${token}`,
          ...(hasBody ? { "Content-Type": "application/json" } : {}),
        },
        body: hasBody ? JSON.stringify(opts.body) : undefined,
      }),
    );
    const text = await readText(response, `${method} ${url.pathname}`);
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new GenesysTransientError(`${method} ${url.pathname}: response is not JSON`, response.status);
    }
  }

  /**
   * Opens a download stream for a media URL. The bearer token is sent only if the
   * URL is on the API origin; redirects are followed manually, each hop judged the
   * same way, so a pre-signed storage URL never receives the token.
   * The body stream errors if no data arrives for `requestTimeoutMs`.
   */
  async download(url: string): Promise<GenesysDownload> {
    let target = new URL(url);
    for (let hop = 0; ; hop++) {
      const current = target;
      const toGenesys = current.origin === this.apiBase.origin;
      const controller = new AbortController();
      const send = async (token?: string) => {
        const timer = setTimeout(() => controller.abort(new Error("timeout")), this.timeoutMs);
        try {
          return await this.fetchImpl(current, {
            method: "GET",
            redirect: "manual",
            headers: token ? { Authorization: `Bearer ${token}` } : {},
            signal: controller.signal,
          });
        } catch (error) {
          throw new GenesysTransientError(`download ${describeUrl(current)}: ${errorText(error, controller.signal)}`, undefined, {
            cause: error,
          });
        } finally {
          clearTimeout(timer);
        }
      };
      const response = toGenesys ? await this.authorizedCall(current, send, { allowRedirect: true }) : await send();
      if (response.status >= 300 && response.status < 400 && response.headers.has("location")) {
        await response.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new GenesysTransientError(`download ${describeUrl(current)}: too many redirects`);
        target = new URL(response.headers.get("location")!, current);
        continue;
      }
      if (!toGenesys && response.status === 403) {
        // Pre-signed storage URLs expire: a retry re-reads the transcript and gets a fresh one.
        await response.body?.cancel();
        throw new GenesysTransientError(
          `download ${describeUrl(current)}: HTTP 403: the pre-signed media URL was refused, most likely expired (${presignedExpiry(current)}); retrying fetches a fresh URL`,
          403,
        );
      }
      if (!toGenesys) await this.throwForStatus(response, `download ${describeUrl(current)}`);
      if (!response.body) throw new GenesysTransientError(`download ${describeUrl(current)}: empty body`, response.status);
      const length = response.headers.get("content-length");
      return {
        body: withIdleTimeout(response.body, this.timeoutMs, controller, describeUrl(current)),
        contentType: response.headers.get("content-type") ?? undefined,
        contentLength: length !== null && /^\d+$/.test(length) ? Number(length) : undefined,
        contentMd5: response.headers.get("content-md5") ?? undefined,
      };
    }
  }

  /** Runs `send` with a token; handles 401 (one re-login), 429 (wait if time allows) and errors. */
  private async authorizedCall(
    url: URL,
    send: (token: string) => Promise<Response>,
    opts: { allowRedirect?: boolean } = {},
  ): Promise<Response> {
    if (url.origin !== this.apiBase.origin) throw new Error(`refusing to send the Genesys token to ${url.origin}`);
    let reloggedIn = false;
    let rateLimited = 0;
    for (;;) {
      const token = await this.token();
      await this.options.beforeRequest?.();
      const response = await send(token);
      if (response.status === 401 && !reloggedIn) {
        await response.body?.cancel();
        this.invalidate(token);
        reloggedIn = true;
        countMetric(BUSINESS_METRICS.genesysRetries);
        continue;
      }
      if (response.status === 429) {
        countMetric(BUSINESS_METRICS.genesysRateLimited);
        const retryAfterSeconds = retryAfterOf(response);
        await response.body?.cancel();
        const waitMs = retryAfterSeconds * 1000;
        const remaining = this.options.remainingTimeMs?.() ?? Number.POSITIVE_INFINITY;
        if (rateLimited >= this.maxRateLimitRetries || waitMs + RATE_LIMIT_MARGIN_MS > remaining) {
          throw new GenesysRateLimitedError(
            `Genesys rate limit on ${url.pathname}: retry after ${retryAfterSeconds}s`,
            retryAfterSeconds,
          );
        }
        rateLimited++;
        countMetric(BUSINESS_METRICS.genesysRetries);
        await this.sleep(waitMs);
        continue;
      }
      if (opts.allowRedirect && response.status >= 300 && response.status < 400) return response;
      await this.throwForStatus(response, `${url.pathname}`);
      return response;
    }
  }

  private async throwForStatus(response: Response, what: string): Promise<void> {
    if (response.ok) return;
    const { code, message } = await errorBody(response);
    const detail = `${what}: HTTP ${response.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`;
    if (response.status === 401) throw new GenesysAuthError(detail, 401, code);
    if (response.status === 429) throw new GenesysRateLimitedError(detail, retryAfterOf(response));
    if (response.status >= 500 || response.status === 408) throw new GenesysTransientError(detail, response.status);
    throw new GenesysClientError(response.status, code, detail);
  }

  private async timedFetch(url: URL, init: RequestInit): Promise<Response> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      return await this.fetchImpl(url, { ...init, redirect: "manual", signal });
    } catch (error) {
      throw new GenesysTransientError(`${init.method} ${url.pathname}: ${errorText(error, signal)}`, undefined, { cause: error });
    }
  }

  /**
   * Logs in afresh (never from the token cache) and caches the new token: proves that
   * the client credentials work now (self-tests).
   * @throws GenesysAuthError | GenesysRateLimitedError | GenesysTransientError
   */
  async loginNow(): Promise<void> {
    const credentials = await this.options.credentials();
    tokenCache.set(this.cacheKey(credentials.clientId), await this.login(credentials));
  }

  private cacheKey(clientId: string): string {
    return `${this.loginBase.origin}|${clientId}`;
  }

  private async token(): Promise<string> {
    try {
      return await this.tokenWith(await this.options.credentials());
    } catch (error) {
      // A refused client pair cannot be fixed by a new token: re-read the secret once (it may have been fixed).
      if (!(error instanceof GenesysAuthError) || error.code !== "invalid_client") throw error;
      return this.tokenWith(await this.options.credentials({ refresh: true }));
    }
  }

  private async tokenWith(credentials: { clientId: string; clientSecret: string }): Promise<string> {
    const key = this.cacheKey(credentials.clientId);
    const cached = tokenCache.get(key);
    if (cached && cached.refreshAt > this.now()) return cached.accessToken;
    const loginKey = `${key}|${credentials.clientSecret.length}:${hashOf(credentials.clientSecret)}`;
    let pending = pendingLogins.get(loginKey);
    if (!pending) {
      // Single flight: concurrent calls with the same pair share one login.
      pending = this.login(credentials).finally(() => pendingLogins.delete(loginKey));
      pendingLogins.set(loginKey, pending);
    }
    const fresh = await pending;
    tokenCache.set(key, fresh);
    return fresh.accessToken;
  }

  private invalidate(token: string): void {
    for (const [key, cached] of tokenCache) if (cached.accessToken === token) tokenCache.delete(key);
  }

  private async login(credentials: { clientId: string; clientSecret: string }): Promise<CachedToken> {
    const url = new URL("/oauth/token", this.loginBase);
    const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString("base64");
    for (let rateLimited = 0; ; rateLimited++) {
      const startedAt = this.now();
      const response = await this.timedFetch(url, {
        method: "POST",
        headers: {
          Authorization: `Basic ${basic}`,
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        },
        body: "grant_type=client_credentials",
      });
      if (response.status === 429) {
        countMetric(BUSINESS_METRICS.genesysRateLimited);
        const retryAfterSeconds = retryAfterOf(response);
        await response.body?.cancel();
        const remaining = this.options.remainingTimeMs?.() ?? Number.POSITIVE_INFINITY;
        if (rateLimited >= this.maxRateLimitRetries || retryAfterSeconds * 1000 + RATE_LIMIT_MARGIN_MS > remaining) {
          throw new GenesysRateLimitedError(`Genesys login rate limited: retry after ${retryAfterSeconds}s`, retryAfterSeconds);
        }
        countMetric(BUSINESS_METRICS.genesysRetries);
        await this.sleep(retryAfterSeconds * 1000);
        continue;
      }
      if (response.status === 400 || response.status === 401) {
        const { code, message } = await errorBody(response);
        throw new GenesysAuthError(
          `Genesys login refused: HTTP ${response.status} ${code ?? ""}${message ? `: ${message}` : ""}`.trim(),
          response.status,
          code,
        );
      }
      await this.throwForStatus(response, "login");
      const text = await readText(response, "login");
      let body: { access_token?: unknown; expires_in?: unknown };
      try {
        body = JSON.parse(text);
      } catch {
        throw new GenesysTransientError("login: response is not JSON", response.status);
      }
      if (typeof body.access_token !== "string" || !body.access_token) {
        throw new GenesysTransientError("login: response has no access_token", response.status);
      }
      const lifetimeMs = (typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 300) * 1000;
      // Refresh early: 10% of the lifetime, at most 5 minutes, so a token never expires mid-call.
      const skewMs = Math.min(lifetimeMs * 0.1, 300_000);
      return { accessToken: body.access_token, refreshAt: startedAt + lifetimeMs - skewMs };
    }
  }
}

/** A short digest that tells two secrets apart without keeping either in a map key. */
function hashOf(secret: string): string {
  return createHash("sha256").update(secret).digest("hex").slice(0, 16);
}

function retryAfterOf(response: Response): number {
  const header = response.headers.get("retry-after");
  if (header && /^\d+(\.\d+)?$/.test(header.trim())) return Math.ceil(Number(header.trim()));
  if (header) {
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }
  // No Retry-After: fall back to the rate-limit window reset, then to 1 s.
  const reset = response.headers.get("inin-ratelimit-reset");
  if (reset && /^\d+$/.test(reset)) return Number(reset);
  return 1;
}

async function errorBody(response: Response): Promise<{ code?: string; message?: string }> {
  try {
    const text = await response.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    const code = typeof body.code === "string" ? body.code : typeof body.error === "string" ? body.error : undefined;
    const message =
      typeof body.message === "string"
        ? body.message
        : typeof body.error_description === "string"
          ? body.error_description
          : typeof body.description === "string"
            ? body.description
            : undefined;
    return { code, message };
  } catch {
    return {};
  }
}

async function readText(response: Response, what: string): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw new GenesysTransientError(`${what}: reading the response failed: ${errorText(error)}`, response.status, { cause: error });
  }
}

function errorText(error: unknown, signal?: AbortSignal): string {
  if (signal?.aborted) return "request timed out";
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

/** When a pre-signed URL expires, from its well-known query parameters (never their signatures). */
function presignedExpiry(url: URL): string {
  const q = url.searchParams;
  const amzDate = q.get("X-Amz-Date");
  const amzExpires = q.get("X-Amz-Expires");
  if (amzDate && amzExpires && /^\d{8}T\d{6}Z$/.test(amzDate) && /^\d+$/.test(amzExpires)) {
    const start = Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13)}`);
    return `X-Amz-Date + X-Amz-Expires: valid until ${new Date(start + Number(amzExpires) * 1000).toISOString()}`;
  }
  const expires = q.get("Expires");
  if (expires && /^\d+$/.test(expires)) return `Expires: valid until ${new Date(Number(expires) * 1000).toISOString()}`;
  const se = q.get("se");
  if (se) return `se: valid until ${se}`;
  return "no expiry parameter in the URL";
}

/** Host and path only: query strings of pre-signed URLs are credentials and never logged. */
function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Errors the stream (and aborts the request) when no chunk arrives within `idleMs`. */
function withIdleTimeout(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
  controller: AbortController,
  what: string,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(streamController) {
      timer = setTimeout(() => controller.abort(new Error("idle timeout")), idleMs);
      try {
        const { done, value } = await reader.read();
        if (done) streamController.close();
        else streamController.enqueue(value);
      } catch (error) {
        streamController.error(
          new GenesysTransientError(`download ${what} failed mid-stream: ${errorText(error, controller.signal)}`, undefined, {
            cause: error,
          }),
        );
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
}
