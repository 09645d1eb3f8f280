/**
 * A small AWS Lambda fake for `Invoke` (REST-JSON protocol: `POST
 * /2015-03-31/functions/{FunctionName}/invocations`, the payload as the body), on
 * 127.0.0.1 port 0. Each function is a handler of the payload; its answer is the
 * response payload, or a function error (`X-Amz-Function-Error: Unhandled` with
 * `{errorType, errorMessage}`, as Lambda reports a handler that threw). Unknown
 * functions answer 404 `ResourceNotFoundException`; `deny(name)` answers 403
 * `AccessDeniedException`, as IAM does for a caller without `lambda:InvokeFunction`.
 * Asynchronous invocations (`X-Amz-Invocation-Type: Event`, e.g. a function continuing
 * itself) are recorded and answered 202 with an empty body, as Lambda does, for the test
 * to deliver; they need no handler. `failNext(n)` answers the next n invocations 500
 * `ServiceException`.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { closeServer, listenLocal } from "./aws-json-fake";

/** What a function answers: its result, or the error it threw. */
export type InvokeResult = { payload: unknown } | { error: { errorType: string; errorMessage: string } };

export interface LambdaFake {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Every invocation: function name and parsed payload. */
  readonly invocations: Array<{ functionName: string; payload: unknown }>;
  /** Defines (or replaces) a function. */
  setFunction(name: string, handler: (payload: any) => InvokeResult | Promise<InvokeResult>): void;
  /** Callers may not invoke these functions (AccessDeniedException). */
  deny(...names: string[]): void;
  allowAll(): void;
  /** The next `n` invocations answer 500 ServiceException. */
  failNext(n: number): void;
  close(): Promise<void>;
}

export async function startLambdaFake(accountId = "333333333333", region = "eu-west-1"): Promise<LambdaFake> {
  const functions = new Map<string, (payload: any) => InvokeResult | Promise<InvokeResult>>();
  const denied = new Set<string>();
  const invocations: LambdaFake["invocations"] = [];
  let failures = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), "x-amzn-requestid": randomUUID(), ...headers }).end(text);
      };
      const error = (status: number, type: string, message: string) => send(status, { Type: "User", message }, { "x-amzn-errortype": type });
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(new URL(req.url ?? "/", "http://x").pathname);
      if (req.method !== "POST" || !match) return error(404, "UnknownOperationException", `unknown operation ${req.method} ${req.url}`);
      const name = decodeURIComponent(match[1]!);
      const arn = `arn:aws:lambda:${region}:${accountId}:function:${name}`;
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        return error(400, "InvalidRequestContentException", "Could not parse request body into json");
      }
      if (failures > 0) {
        failures--;
        return error(500, "ServiceException", "scripted failure");
      }
      invocations.push({ functionName: name, payload });
      if (denied.has(name)) {
        return error(403, "AccessDeniedException", `User: arn:aws:sts::${accountId}:assumed-role/verify/cli is not authorized to perform: lambda:InvokeFunction on resource: ${arn} because no identity-based policy allows the lambda:InvokeFunction action`);
      }
      if (req.headers["x-amz-invocation-type"] === "Event") {
        res.writeHead(202, { "x-amzn-requestid": randomUUID() }).end();
        return;
      }
      const handler = functions.get(name);
      if (!handler) return error(404, "ResourceNotFoundException", `Function not found: ${arn}`);
      const result = await handler(payload);
      if ("error" in result) return send(200, { ...result.error, trace: [] }, { "x-amz-function-error": "Unhandled", "x-amz-executed-version": "$LATEST" });
      send(200, result.payload, { "x-amz-executed-version": "$LATEST" });
    });
  });
  return {
    endpoint: await listenLocal(server),
    invocations,
    setFunction: (name, handler) => functions.set(name, handler),
    deny: (...names) => {
      for (const n of names) denied.add(n);
    },
    allowAll: () => denied.clear(),
    failNext: (n) => {
      failures += n;
    },
    close: () => closeServer(server),
  };
}
