/**
 * The shared core of the small AWS fakes that speak the JSON protocols
 * (POST /, `X-Amz-Target: <prefix>.<Operation>`, `application/x-amz-json-1.0|1.1`),
 * on 127.0.0.1 port 0. A fake is a table of operation handlers; a handler throws
 * {@link AwsServiceError} to answer an error in the shape the SDK parses
 * (`__type`, `x-amzn-errortype`, and `x-amzn-query-error` for query-compatible
 * services such as SQS). `deny(operation)` answers AccessDenied for an operation,
 * as IAM does for a role without the permission.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** An error the service answers. */
export class AwsServiceError extends Error {
  constructor(
    readonly status: number,
    /** Shape name, e.g. `QueueDoesNotExist`. */
    readonly type: string,
    message: string,
    /** `x-amzn-query-error` code of query-compatible services, e.g. `AWS.SimpleQueueService.NonExistentQueue`. */
    readonly queryCode?: string,
  ) {
    super(message);
  }
}

export type OperationHandler = (input: Record<string, any>) => unknown;

export interface JsonFakeOptions {
  /** `AmazonSQS`, `AWSEvents`, `AWSStepFunctions` */
  readonly targetPrefix: string;
  /** `1.0` or `1.1` */
  readonly jsonVersion: "1.0" | "1.1";
  /** Namespace of `__type`, e.g. `com.amazonaws.sqs`. */
  readonly errorNamespace: string;
  /** Adds `x-amzn-query-error` to errors (SQS). */
  readonly queryCompatible?: boolean;
  /** Keep every call's input in `calls`; off for long runs (benchmarks), which read `counts`. @default true */
  readonly recordCalls?: boolean;
}

export interface JsonFake {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Every call received, in order (denied ones included); empty with `recordCalls: false`. */
  readonly calls: Array<{ operation: string; input: Record<string, any> }>;
  /** Number of calls received, by operation (denied ones included). */
  readonly counts: Map<string, number>;
  /** Operations answered with AccessDenied (as for a role that lacks the permission). */
  deny(...operations: string[]): void;
  /** Lifts every denial. */
  allowAll(): void;
  close(): Promise<void>;
}

export async function startJsonFake(opts: JsonFakeOptions, handlers: Record<string, OperationHandler>): Promise<JsonFake> {
  const calls: JsonFake["calls"] = [];
  const counts: JsonFake["counts"] = new Map();
  const denied = new Set<string>();
  const contentType = `application/x-amz-json-${opts.jsonVersion}`;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const operation = target.startsWith(`${opts.targetPrefix}.`) ? target.slice(opts.targetPrefix.length + 1) : "";
      try {
        if (req.method !== "POST" || !operation) throw new AwsServiceError(400, "UnknownOperationException", `unknown operation ${target || "(no X-Amz-Target)"}`);
        if (!String(req.headers["content-type"] ?? "").startsWith(contentType)) throw new AwsServiceError(400, "SerializationException", `content-type must be ${contentType}`);
        const input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, any>;
        if (opts.recordCalls !== false) calls.push({ operation, input });
        counts.set(operation, (counts.get(operation) ?? 0) + 1);
        if (denied.has(operation)) {
          throw new AwsServiceError(400, "AccessDeniedException", `User: arn:aws:sts::111111111111:assumed-role/operator/cli is not authorized to perform: ${operation} because no identity-based policy allows the action`, "AccessDenied");
        }
        const handler = handlers[operation];
        if (!handler) throw new AwsServiceError(400, "UnknownOperationException", `the fake does not implement ${operation}`);
        send(200, (await handler(input)) ?? {});
      } catch (error) {
        if (!(error instanceof AwsServiceError)) {
          send(500, { __type: `${opts.errorNamespace}#InternalFailure`, message: String(error) });
          return;
        }
        res.setHeader("x-amzn-errortype", `${error.type}:`);
        if (opts.queryCompatible) res.setHeader("x-amzn-query-error", `${error.queryCode ?? error.type};Sender`);
        send(error.status, { __type: `${opts.errorNamespace}#${error.type}`, message: error.message });
      }
    });

    function send(status: number, body: unknown): void {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": contentType, "content-length": String(Buffer.byteLength(text)), "x-amzn-requestid": randomUUID() }).end(text);
    }
  });
  return {
    endpoint: await listenLocal(server),
    calls,
    counts,
    deny: (...operations) => {
      for (const o of operations) denied.add(o);
    },
    allowAll: () => denied.clear(),
    close: () => closeServer(server),
  };
}

/** Listens on 127.0.0.1, port 0; resolves to `http://127.0.0.1:<port>`. */
export async function listenLocal(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes a fake's server, dropping kept-alive connections. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
