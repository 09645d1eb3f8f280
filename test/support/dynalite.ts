/**
 * Starts dynalite (a real DynamoDB implementation on LevelDB, in memory) on
 * 127.0.0.1, port 0. Point functions at it with AWS_ENDPOINT_URL_DYNAMODB.
 *
 * @example
 * const ddb = await startDynalite();
 * await ddb.createTable(idempotencyTable("idempotency"));
 * env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
 */
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

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
