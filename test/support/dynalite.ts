/**
 * Starts dynalite (a real DynamoDB implementation on LevelDB, in memory) on
 * 127.0.0.1, port 0. Point functions at it with AWS_ENDPOINT_URL_DYNAMODB.
 *
 * @example
 * const ddb = await startDynalite();
 * await ddb.createTable(idempotencyTable("idempotency"));
 * env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from "@aws-sdk/client-dynamodb";
import { isAllowed, type IamScope, type Statement } from "./iam";

/** A running dynalite. */
export interface Dynalite {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A DynamoDB client pointed at it. */
  client: DynamoDBClient;
  /**
   * Creates a table (PAY_PER_REQUEST unless given). `ttlAttribute` is accepted for
   * symmetry with the real table but not applied: dynalite has no UpdateTimeToLive
   * (expiry is never needed within a test).
   */
  createTable(input: CreateTableCommandInput & { ttlAttribute?: string }): Promise<void>;
  stop(): Promise<void>;
}

/** Table definition matching the Powertools idempotency schema (partition key `id`, TTL `expiration`). */
export function idempotencyTable(tableName: string): CreateTableCommandInput & { ttlAttribute: string } {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    BillingMode: "PAY_PER_REQUEST",
    ttlAttribute: "expiration",
  };
}

/** Table definition matching the interaction workflow's slot table (partition `pool`, sort `slot`). */
export function slotsTable(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: "pool", AttributeType: "S" },
      { AttributeName: "slot", AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: "pool", KeyType: "HASH" },
      { AttributeName: "slot", KeyType: "RANGE" },
    ],
    BillingMode: "PAY_PER_REQUEST",
  };
}

/** Starts dynalite; tables become ACTIVE immediately. */
export async function startDynalite(): Promise<Dynalite> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require("dynalite") as (opts: Record<string, unknown>) => import("node:http").Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  return {
    endpoint,
    client,
    async createTable({ ttlAttribute: _ttl, ...input }) {
      await client.send(new CreateTableCommand({ BillingMode: "PAY_PER_REQUEST", ...input }));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        client.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Requests an IAM gate answered or forwarded. */
export interface IamGate {
  /** `http://127.0.0.1:<port>`: give it to the code under test instead of dynalite's endpoint. */
  endpoint: string;
  /** `dynamodb:<Operation> on <table ARN>` of each request, with `allowed` or `denied`. */
  decisions: Array<{ action: string; resource: string; decision: "allowed" | "denied"; parameters: string[] }>;
  /** Answers the next request for `action` (e.g. `dynamodb:UpdateTable`) that IAM allows with this DynamoDB error instead of forwarding it. */
  failNext(action: string, error: { type: string; message: string; status?: number }): void;
  close(): Promise<void>;
}

/**
 * Puts IAM in front of dynalite, which has none: each request's action
 * (`dynamodb:<X-Amz-Target operation>`) on its table's ARN is evaluated against the
 * caller's identity policy (statements resolved with `resolveTableArns`), and a denied
 * one is answered as DynamoDB does, 400 `AccessDeniedException` with the "is not
 * authorized to perform" message, without reaching dynalite. Allowed requests are
 * forwarded unchanged, unless a scripted error (`failNext`) answers one instead.
 * Only single-table operations are modelled (the code under test
 * uses no batch or transaction call); another operation is refused loudly.
 */
export async function startIamGate(target: string, statements: readonly Statement[], scope: IamScope & { principalArn: string }): Promise<IamGate> {
  const decisions: IamGate["decisions"] = [];
  const scripted: Array<{ action: string; error: { type: string; message: string; status?: number } }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers["x-amz-target"] ?? "").replace(/^DynamoDB_20120810\./, "");
      let input: Record<string, unknown> = {};
      try {
        input = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        // not JSON: refused below for want of a table name
      }
      const tableName = input.TableName;
      if (typeof tableName !== "string" || /^(Batch|Transact|ListTables|ExecuteStatement)/.test(operation)) {
        return answer(400, { __type: "com.amazon.coral.validate#ValidationException", message: `the IAM gate models single-table operations only, got ${operation}` });
      }
      const action = `dynamodb:${operation}`;
      const resource = tableName.startsWith("arn:") ? tableName : `arn:${scope.partition ?? "aws"}:dynamodb:${scope.region}:${scope.accountId}:table/${tableName}`;
      const allowed = isAllowed(statements as Statement[], action, resource);
      decisions.push({ action, resource, decision: allowed ? "allowed" : "denied", parameters: Object.keys(input).sort() });
      if (!allowed) {
        return answer(400, {
          __type: "com.amazon.coral.service#AccessDeniedException",
          Message: `User: ${scope.principalArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
        });
      }
      const fault = scripted.findIndex((f) => f.action === action);
      if (fault >= 0) {
        const [{ error }] = scripted.splice(fault, 1);
        return answer(error.status ?? 400, { __type: `com.amazonaws.dynamodb.v20120810#${error.type}`, message: error.message });
      }
      const forward = http.request(`${target}${req.url ?? "/"}`, { method: req.method, headers: req.headers }, (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      });
      forward.on("error", (error) => answer(500, { __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: String(error) }));
      forward.end(body);
    });
    function answer(status: number, payload: unknown): void {
      const text = JSON.stringify(payload);
      res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "content-length": String(Buffer.byteLength(text)), "x-amzn-requestid": randomUUID() }).end(text);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    decisions,
    failNext: (action, error) => void scripted.push({ action, error }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
