/**
 * A reverse proxy on 127.0.0.1 (port 0) in front of a local stand-in (e.g. Azurite)
 * that injects faults into matching requests: an HTTP error status (503 with an
 * Azure-style error body by default) or a hang (no answer: provokes client timeouts).
 * Everything else is forwarded unchanged, streamed both ways.
 *
 * @example
 * const proxy = await startFaultProxy(azurite.origin);
 * const rule = proxy.addFault({ match: (r) => r.url.includes("/events/"), status: 503 }); // until removed
 * ... // the code under test uses proxy.origin instead of azurite.origin
 * proxy.removeFault(rule);
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** A fault rule. */
export interface FaultRule {
  /** Which requests it applies to (method + url with query). */
  match: (request: { method: string; url: string }) => boolean;
  /** Status to answer. @default 503 */
  status?: number;
  /**
   * Azure error code (`x-ms-error-code` and the body's Code), e.g. `AuthorizationFailure`: what the
   * storage firewall answers a source outside its rules. @default ServerBusy for 503, else InternalError
   */
  code?: string;
  /** Do not answer at all. */
  hang?: boolean;
  /** Apply to this many matching requests, then stop. @default unlimited */
  times?: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: use in place of the target's origin. */
  origin: string;
  addFault(rule: FaultRule): FaultRule;
  removeFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Requests that got a fault, in order. */
  readonly injected: Array<{ method: string; url: string; fault: "status" | "hang" }>;
  /** Every request received (faulted or forwarded), in order: method + url with query. */
  readonly requests: Array<{ method: string; url: string }>;
  close(): Promise<void>;
}

/** Starts a proxy forwarding to `targetOrigin` (e.g. `http://127.0.0.1:10000`). */
export async function startFaultProxy(targetOrigin: string): Promise<FaultProxy> {
  const target = new URL(targetOrigin);
  const rules = new Set<FaultRule>();
  const used = new Map<FaultRule, number>();
  const injected: FaultProxy["injected"] = [];
  const requests: FaultProxy["requests"] = [];
  const hanging = new Set<http.ServerResponse>();
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((req, res) => {
    const request = { method: req.method ?? "GET", url: req.url ?? "/" };
    requests.push(request);
    const rule = [...rules].find((r) => r.match(request) && (r.times === undefined || (used.get(r) ?? 0) < r.times));
    if (rule) {
      used.set(rule, (used.get(rule) ?? 0) + 1);
      req.resume();
      if (rule.hang) {
        injected.push({ ...request, fault: "hang" });
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      injected.push({ ...request, fault: "status" });
      const status = rule.status ?? 503;
      const code = rule.code ?? (status === 503 ? "ServerBusy" : "InternalError");
      const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>injected fault</Message></Error>`;
      res.writeHead(status, { "content-type": "application/xml", "x-ms-error-code": code, "content-length": Buffer.byteLength(body) }).end(body);
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host }, agent },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    injected,
    requests,
    addFault(rule) {
      rules.add(rule);
      return rule;
    },
    removeFault(rule) {
      rules.delete(rule);
    },
    clearFaults() {
      rules.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
