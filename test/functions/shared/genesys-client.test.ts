import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  clearGenesysTokenCache,
  GenesysAuthError,
  GenesysClient,
  GenesysClientError,
  GenesysRateLimitedError,
  GenesysTransientError,
  type GenesysClientOptions,
} from "../../../functions/shared/genesys-client";
import { startGenesysFake, type GenesysFake } from "../../support/genesys-fake";

let fake: GenesysFake;
let sleeps: number[];

beforeAll(async () => {
  fake = await startGenesysFake({ tokenLifetimeSeconds: 3600 });
  fake.addConversation("conv-1", [
    { messageText: "hi", attachments: [{ id: "direct", name: "a.png", size: 3000 }, { id: "signed", name: "b.png", size: 500, presigned: true }] },
  ]);
  fake.setQueue({ id: "q-1", name: "Support" });
});
afterAll(() => fake.close());
beforeEach(() => {
  clearGenesysTokenCache();
  fake.clearFaults();
  fake.clearRequests();
  sleeps = [];
});

function client(overrides: Partial<GenesysClientOptions> = {}): GenesysClient {
  return new GenesysClient({
    domain: "mypurecloud.com",
    apiBaseUrl: fake.baseUrl,
    loginBaseUrl: fake.baseUrl,
    credentials: async () => fake.credentials,
    sleep: async (ms) => void sleeps.push(ms),
    requestTimeoutMs: 500,
    ...overrides,
  });
}

const recordings = "/api/v2/conversations/conv-1/recordings";

describe("login and token cache", () => {
  test("logs in with Basic client credentials once and reuses the token across clients", async () => {
    await client().request("GET", recordings);
    await client().request("GET", "/api/v2/routing/queues/q-1");

    const logins = fake.requestsOf("token");
    expect(logins).toHaveLength(1);
    expect(logins[0]).toMatchObject({ auth: "basic", body: "grant_type=client_credentials" });
    expect(fake.requests.filter((r) => r.route !== "token").every((r) => r.auth === "bearer" && r.token)).toBe(true);
  });

  test("refreshes the token before it expires", async () => {
    let now = 1_000_000;
    const c = client({ now: () => now });
    await c.request("GET", recordings);
    now += 3600_000 * 0.85; // inside the last 10% (capped at 5 min) of a 1 h token: still valid
    await c.request("GET", recordings);
    expect(fake.requestsOf("token")).toHaveLength(1);
    now += 3600_000 * 0.1;
    await c.request("GET", recordings);
    expect(fake.requestsOf("token")).toHaveLength(2);
  });

  test("a revoked token (401 bad.credentials) causes exactly one re-login and one retry", async () => {
    const c = client();
    await c.request("GET", recordings);
    fake.revokeTokens();

    await expect(c.request("GET", recordings)).resolves.toBeDefined();
    expect(fake.requests.map((r) => `${r.route}:${r.status}`)).toEqual(["token:200", "recordings:200", "recordings:401", "token:200", "recordings:200"]);
  });

  test("a second 401 after the re-login is a GenesysAuthError (no loop)", async () => {
    fake.failNext("queue", [{ status: 401 }, { status: 401 }]);
    const error = await client().request("GET", "/api/v2/routing/queues/q-1").catch((e: any) => e);
    expect(error).toBeInstanceOf(GenesysAuthError);
    expect(error).toMatchObject({ name: "GenesysAuthError", status: 401, code: "bad.credentials" });
    expect(fake.requestsOf("queue")).toHaveLength(2);
  });

  test("bad client credentials are a GenesysAuthError with invalid_client", async () => {
    const error: GenesysAuthError = await client({ credentials: async () => ({ clientId: "fake-client-id", clientSecret: "wrong" }) })
      .request<never>("GET", recordings)
      .catch((e: any) => e as GenesysAuthError);
    expect(error).toMatchObject({ name: "GenesysAuthError", status: 401, code: "invalid_client" });
    expect(error.message).not.toContain("wrong");
    expect(fake.requestsOf("recordings")).toHaveLength(0);
  });

  test("after invalid_client the credentials are read again once (refresh: true), and a fixed pair logs in", async () => {
    const asked: Array<boolean | undefined> = [];
    const credentials = async (opts?: { refresh?: boolean }) => {
      asked.push(opts?.refresh);
      return opts?.refresh ? fake.credentials : { clientId: "fake-client-id", clientSecret: "stale" };
    };
    await client({ credentials }).request("GET", recordings);
    expect(asked).toEqual([undefined, true]);
    expect(fake.requestsOf("token").map((r) => r.status)).toEqual([401, 200]);
  });

  test("a pair still refused after the re-read is a GenesysAuthError, read again only once", async () => {
    const asked: Array<boolean | undefined> = [];
    const error = await client({ credentials: async (opts) => {
        asked.push(opts?.refresh);
        return { clientId: "fake-client-id", clientSecret: "wrong" };
      },
    })
      .request<never>("GET", recordings)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "GenesysAuthError", code: "invalid_client" });
    expect(asked).toEqual([undefined, true]);
  });
});

describe("rate limits", () => {
  test("429 within the remaining time waits Retry-After seconds and retries", async () => {
    fake.failNext("recordings", [{ status: 429, retryAfter: 3 }]);
    const result = await client({ remainingTimeMs: () => 60_000 }).request<unknown[]>("GET", recordings);
    expect(Array.isArray(result)).toBe(true);
    expect(sleeps).toEqual([3000]);
    expect(fake.requestsOf("recordings").map((r) => r.status)).toEqual([429, 200]);
  });

  test("beforeRequest is awaited before every API request sent, the retries after a 429 and a 401 included, never before the login", async () => {
    const order: string[] = [];
    const c = client({ beforeRequest: async () => void order.push(`slot ${fake.requests.length}`) });
    fake.failNext("recordings", [{ status: 429, retryAfter: 1 }, { status: 401 }]);
    await c.request("GET", recordings);
    // The login (request 0) takes no slot; the 429, the 401 and the answered attempt each take one first.
    expect(fake.requests.map((r) => r.route)).toEqual(["token", "recordings", "recordings", "token", "recordings"]);
    expect(order).toEqual(["slot 1", "slot 2", "slot 4"]);
  });

  test("429 beyond the remaining time throws GenesysRateLimitedError with retryAfterSeconds, without waiting", async () => {
    fake.failNext("recordings", [{ status: 429, retryAfter: 45 }]);
    const error = await client({ remainingTimeMs: () => 30_000 }).request("GET", recordings).catch((e: any) => e);
    expect(error).toBeInstanceOf(GenesysRateLimitedError);
    expect(error).toMatchObject({ name: "GenesysRateLimitedError", retryAfterSeconds: 45 });
    expect(sleeps).toEqual([]);
  });

  test("the fake's per-token limit answers 429 with Retry-After and inin-ratelimit headers", async () => {
    const limited = await startGenesysFake({ rateLimitPerMinute: 2, minuteMs: 60_000 });
    try {
      limited.setQueue({ id: "q", name: "Q" });
      const c = client({ apiBaseUrl: limited.baseUrl, loginBaseUrl: limited.baseUrl, credentials: async () => limited.credentials, remainingTimeMs: () => 10_000 });
      await c.request("GET", "/api/v2/routing/queues/q");
      await c.request("GET", "/api/v2/routing/queues/q");
      const error: GenesysRateLimitedError = await c.request<never>("GET", "/api/v2/routing/queues/q").catch((e: any) => e as GenesysRateLimitedError);
      expect(error).toMatchObject({ name: "GenesysRateLimitedError" });
      expect(error.retryAfterSeconds).toBeGreaterThan(10);
      const response = await fetch(`${limited.baseUrl}/api/v2/routing/queues/q`, { headers: { Authorization: `Bearer ${limited.requests.at(-1)!.token}` } });
      expect(response.status).toBe(429);
      expect(response.headers.get("inin-ratelimit-allowed")).toBe("2");
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await response.json()) as { code: string }).code).toBe("too.many.requests.retry.after");
    } finally {
      await limited.close();
    }
  });
});

describe("errors and timeouts", () => {
  test("a request that does not answer in time is a GenesysTransientError", async () => {
    fake.failNext("recordings", [{ hang: true }]);
    const started = Date.now();
    const error = await client({ requestTimeoutMs: 200 }).request("GET", recordings).catch((e: any) => e);
    expect(error).toMatchObject({ name: "GenesysTransientError", message: expect.stringContaining("timed out") });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test("5xx is GenesysTransientError; other 4xx is GenesysClientError with status and code", async () => {
    fake.failNext("recordings", [{ status: 503 }]);
    await expect(client().request("GET", recordings)).rejects.toMatchObject({ name: "GenesysTransientError", status: 503 });
    const missing = await client().request("GET", "/api/v2/routing/queues/nope").catch((e: any) => e);
    expect(missing).toBeInstanceOf(GenesysClientError);
    expect(missing).toMatchObject({ status: 404, code: "not.found" });
    await expect(client().request("PUT", "/api/v2/routing/queues/q-1", { body: { description: "no name" } })).rejects.toMatchObject({
      name: "GenesysClientError",
      status: 400,
    });
  });

  test("an empty 202 answer resolves to undefined", async () => {
    const result = await client().request("PATCH", "/api/v2/conversations/conv-1/participants/p-1/attributes", { body: { attributes: { tier: "gold" } } });
    expect(result).toBeUndefined();
    expect(fake.participantAttributes.get("conv-1/p-1")).toEqual({ tier: "gold" });
  });
});

describe("downloads", () => {
  async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
    let total = 0;
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) total += chunk.length;
    return total;
  }

  test("a media URL on the API host is fetched with the token", async () => {
    const download = await client().download(fake.mediaUrl({ id: "direct", name: "a.png" }));
    expect(await drain(download.body)).toBe(3000);
    expect(download).toMatchObject({ contentLength: 3000, contentType: "image/png" });
    expect(fake.requestsOf("media")[0]).toMatchObject({ auth: "bearer", status: 200 });
  });

  test("a redirect to a pre-signed URL is followed without the Authorization header", async () => {
    const download = await client().download(fake.mediaUrl({ id: "signed", name: "b.png" }));
    expect(await drain(download.body)).toBe(500);
    expect(fake.requestsOf("media")[0]).toMatchObject({ status: 302, auth: "bearer" });
    const presigned = fake.requestsOf("presigned");
    expect(presigned.map((r) => [r.status, r.auth, r.token])).toEqual([[200, undefined, undefined]]);
  });

  test("an expired pre-signed URL (403) is a retryable GenesysTransientError naming host, path and expiry, never the signature", async () => {
    fake.presignedLifetimeSeconds = 0; // expired by the time it is fetched
    const error: any = await client()
      .download(fake.mediaUrl({ id: "signed", name: "b.png" }))
      .catch((e: unknown) => e)
      .finally(() => (fake.presignedLifetimeSeconds = 300));
    expect(error).toBeInstanceOf(GenesysTransientError);
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/^download http:\/\/127\.0\.0\.1:\d+\/blobs\/signed: HTTP 403: the pre-signed media URL was refused, most likely expired \(X-Amz-Date \+ X-Amz-Expires: valid until \d{4}-/);
    expect(error.message).not.toMatch(/signature|X-Amz-Date=/);
  });

  test("the token is never sent to a host other than the API host", async () => {
    const seen: Array<string | undefined> = [];
    const other = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.end("data");
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      const c = client();
      await c.request("GET", recordings); // a token is cached
      const download = await c.download(`http://127.0.0.1:${(other.address() as AddressInfo).port}/file?sig=abc`);
      expect(await drain(download.body)).toBe(4);
      expect(seen).toEqual([undefined]);
    } finally {
      other.close();
    }
  });

  test("a download cut mid-stream errors the body stream with GenesysTransientError", async () => {
    fake.failNext("media", [{ abortAfterBytes: 1000 }]);
    const download = await client().download(fake.mediaUrl({ id: "direct", name: "a.png" }));
    await expect(drain(download.body)).rejects.toBeInstanceOf(GenesysTransientError);
  });
});
