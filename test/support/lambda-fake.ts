/**
 * A stand-in for the Lambda Invoke API (REST: `POST /2015-03-31/functions/{FunctionName}/invocations`)
 * that records asynchronous invocations (`X-Amz-Invocation-Type: Event`, answered 202 with an empty
 * body, as Lambda does) for the test to deliver. Other invocation types answer 400, so a function
 * that waits for a result it should not wait for is caught. Point a function at it with
 * AWS_ENDPOINT_URL_LAMBDA.
 *
 * @example
 * const lambda = await startLambdaFake();
 * env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
 * ... // the function invokes itself
 * expect(lambda.invocations[0]).toMatchObject({ functionName: "fn", payload: { continuation: {...} } });
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One asynchronous invocation as received. */
export interface RecordedInvocation {
  functionName: string;
  payload: unknown;
}

export interface LambdaFake {
  endpoint: string;
  readonly invocations: RecordedInvocation[];
  /** The next `n` invocations answer 500 ServiceException. */
  failNext(n: number): void;
  close(): Promise<void>;
}

export async function startLambdaFake(): Promise<LambdaFake> {
  const invocations: RecordedInvocation[] = [];
  let failures = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url?.split("?")[0] ?? "");
      const reply = (status: number, type?: string, message?: string) => {
        const body = type ? JSON.stringify({ Type: "User", message }) : "";
        res.writeHead(status, { "content-type": "application/json", ...(type ? { "x-amzn-errortype": type } : {}), "x-amzn-requestid": "fake" }).end(body);
      };
      if (req.method !== "POST" || !match) return reply(404, "ResourceNotFoundException", `no route ${req.method} ${req.url}`);
      if (req.headers["x-amz-invocation-type"] !== "Event") return reply(400, "InvalidParameterValueException", "this stand-in takes asynchronous (Event) invocations only");
      if (failures > 0) {
        failures--;
        return reply(500, "ServiceException", "scripted failure");
      }
      const text = Buffer.concat(chunks).toString("utf8");
      invocations.push({ functionName: decodeURIComponent(match[1]!), payload: text ? JSON.parse(text) : undefined });
      reply(202);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invocations,
    failNext(n) {
      failures += n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
