/**
 * A small Application Auto Scaling fake for DynamoDB tables: RegisterScalableTarget and
 * DescribeScalableTargets, in the AWS JSON 1.1 protocol the SDK speaks (POST /,
 * `X-Amz-Target: AnyScaleFrontendService.<Operation>`, `application/x-amz-json-1.1`),
 * on 127.0.0.1 port 0. Point functions at it with
 * `AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING=fake.endpoint`.
 *
 * Behaviour modelled on the API reference:
 * - RegisterScalableTarget registers or updates the target named by namespace, resource
 *   id and dimension; an update changes only the parameters given. When the range moves,
 *   the table's capacity is brought inside it, as the real service does through its
 *   service-linked role (there asynchronously; here before answering, on the DynamoDB
 *   endpoint given, so a test can read the result at once).
 * - ValidationException for an unsupported namespace or dimension, a malformed resource
 *   id, MinCapacity above MaxCapacity, a new target without both capacities, or a table
 *   that does not exist.
 * - Scripted faults: ConcurrentUpdateException (400), LimitExceededException (400),
 *   InternalServiceException (500), ValidationException (400).
 * - The deployed receiver may only update targets the stack registered and tagged for it
 *   (an ABAC condition on `aws:ResourceTag`); `registerTarget` is that deployment step,
 *   and registering any other target is answered like IAM would: 400 AccessDeniedException.
 *
 * Errors use the JSON shape and header the SDK parses (`x-amzn-errortype`, `__type`, `message`).
 *
 * @example
 * const scaling = await startApplicationAutoScalingFake(dynalite.client);
 * scaling.registerTarget("orders", "dynamodb:table:ReadCapacityUnits", 5, 100);
 * scaling.failNext("concurrentUpdate");
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeTableCommand, UpdateTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";

const TARGET_PREFIX = "AnyScaleFrontendService.";
const JSON_11 = "application/x-amz-json-1.1";
const DIMENSIONS = { "dynamodb:table:ReadCapacityUnits": "ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits": "WriteCapacityUnits" } as const;
type Dimension = keyof typeof DIMENSIONS;

/** A scripted failure of one RegisterScalableTarget call. */
export type ScalingFault =
  /** 400 ConcurrentUpdateException: another change of the target is in progress. */
  | "concurrentUpdate"
  /** 400 LimitExceededException. */
  | "limitExceeded"
  /** 500 InternalServiceException. */
  | "internal"
  /** 400 ValidationException (e.g. the service-linked role cannot be used for the table). */
  | "validation";

/** A registered scalable target. */
export interface ScalableTarget {
  resourceId: string;
  scalableDimension: Dimension;
  minCapacity: number;
  maxCapacity: number;
  arn: string;
}

/** One RegisterScalableTarget call as received (refused ones included). */
export interface RegisterCall {
  resourceId: string;
  scalableDimension: string;
  minCapacity?: number;
  maxCapacity?: number;
  /** The error it got, if any. */
  error?: string;
}

/** A running fake. */
export interface ApplicationAutoScalingFake {
  endpoint: string;
  /** Registers a target as the stack does at deployment (no capacity change here). */
  registerTarget(tableName: string, scalableDimension: Dimension, minCapacity: number, maxCapacity: number): void;
  /** The target of a table's dimension, if registered. */
  target(tableName: string, scalableDimension: Dimension): ScalableTarget | undefined;
  /** Faults for the next RegisterScalableTarget calls, one per call, in order. */
  failNext(...faults: ScalingFault[]): void;
  calls: RegisterCall[];
  close(): Promise<void>;
}

/** Starts the fake; `dynamodb` is the endpoint whose tables it scales. Close it in afterAll. */
export async function startApplicationAutoScalingFake(dynamodb: DynamoDBClient, region = "us-east-1"): Promise<ApplicationAutoScalingFake> {
  const targets = new Map<string, ScalableTarget>();
  const scripted: ScalingFault[] = [];
  const calls: RegisterCall[] = [];
  const keyOf = (resourceId: string, dimension: string) => `${resourceId} ${dimension}`;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      handle(String(req.headers["x-amz-target"] ?? ""), String(req.headers["content-type"] ?? ""), Buffer.concat(chunks).toString("utf8")).catch((error: Error) =>
        fail(500, "InternalServiceException", error.message),
      );
    });

    async function handle(target: string, contentType: string, body: string): Promise<void> {
      if (req.method !== "POST" || !target.startsWith(TARGET_PREFIX)) return fail(400, "UnknownOperationException", `unknown operation ${target || "(no X-Amz-Target)"}`);
      if (!contentType.startsWith(JSON_11)) return fail(400, "SerializationException", `content-type must be ${JSON_11}`);
      let input: Record<string, any>;
      try {
        input = JSON.parse(body || "{}");
      } catch {
        return fail(400, "SerializationException", "body is not JSON");
      }
      const operation = target.slice(TARGET_PREFIX.length);
      if (operation === "DescribeScalableTargets") return describe(input);
      if (operation !== "RegisterScalableTarget") return fail(400, "UnknownOperationException", `the fake supports RegisterScalableTarget and DescribeScalableTargets, got ${operation}`);

      const call: RegisterCall = { resourceId: String(input.ResourceId), scalableDimension: String(input.ScalableDimension), minCapacity: input.MinCapacity, maxCapacity: input.MaxCapacity };
      calls.push(call);
      const refuse = (status: number, type: string, message: string) => {
        call.error = type;
        fail(status, type, message);
      };
      if (input.ServiceNamespace !== "dynamodb") return refuse(400, "ValidationException", "Unsupported service namespace, resource type or scalable dimension");
      if (!(input.ScalableDimension in DIMENSIONS)) return refuse(400, "ValidationException", "Unsupported service namespace, resource type or scalable dimension");
      const tableName = /^table\/([A-Za-z0-9_.-]{3,255})$/.exec(String(input.ResourceId))?.[1];
      if (!tableName) return refuse(400, "ValidationException", `Unsupported resource ID ${input.ResourceId}`);
      const fault = scripted.shift();
      if (fault === "concurrentUpdate") return refuse(400, "ConcurrentUpdateException", "Concurrent update on the scalable target, please retry");
      if (fault === "limitExceeded") return refuse(400, "LimitExceededException", "Rate exceeded");
      if (fault === "internal") return refuse(500, "InternalServiceException", "Internal service error");
      if (fault === "validation") return refuse(400, "ValidationException", "Unable to assume IAM role: arn:aws:iam::123456789012:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable");

      const key = keyOf(input.ResourceId, input.ScalableDimension);
      const existing = targets.get(key);
      if (!existing) return refuse(400, "AccessDeniedException", `not authorized to perform: application-autoscaling:RegisterScalableTarget on a target without the receiver's tag (${key})`);
      const min = input.MinCapacity ?? existing.minCapacity;
      const max = input.MaxCapacity ?? existing.maxCapacity;
      if (min > max) return refuse(400, "ValidationException", `Minimum capacity ${min} cannot be greater than maximum capacity ${max}`);
      let table;
      try {
        // Like the service, wait for an update in progress (a previous dimension's) to finish.
        for (let attempt = 0; ; attempt++) {
          ({ Table: table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName })));
          if (table?.TableStatus === "ACTIVE" || attempt === 50) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } catch {
        return refuse(400, "ValidationException", `DynamoDB table does not exist: ${input.ResourceId}`);
      }
      targets.set(key, { ...existing, minCapacity: min, maxCapacity: max });
      // Bring the table into the range, keeping the other dimension as it is.
      const throughput = { ReadCapacityUnits: table!.ProvisionedThroughput!.ReadCapacityUnits!, WriteCapacityUnits: table!.ProvisionedThroughput!.WriteCapacityUnits! };
      const field = DIMENSIONS[input.ScalableDimension as Dimension];
      const inRange = Math.min(Math.max(throughput[field], min), max);
      if (table!.TableStatus === "ACTIVE" && inRange !== throughput[field]) {
        await dynamodb.send(new UpdateTableCommand({ TableName: tableName, ProvisionedThroughput: { ...throughput, [field]: inRange } }));
      }
      send(200, { ScalableTargetARN: existing.arn });
    }

    function describe(input: Record<string, any>): void {
      if (input.ServiceNamespace !== "dynamodb") return fail(400, "ValidationException", "Unsupported service namespace");
      const ids: string[] | undefined = input.ResourceIds;
      const found = [...targets.values()].filter((t) => (!ids || ids.includes(t.resourceId)) && (!input.ScalableDimension || t.scalableDimension === input.ScalableDimension));
      send(200, {
        ScalableTargets: found.map((t) => ({
          ServiceNamespace: "dynamodb",
          ResourceId: t.resourceId,
          ScalableDimension: t.scalableDimension,
          MinCapacity: t.minCapacity,
          MaxCapacity: t.maxCapacity,
          ScalableTargetARN: t.arn,
          RoleARN: `arn:aws:iam::123456789012:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable`,
          CreationTime: 1_700_000_000,
          SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
        })),
      });
    }

    function fail(status: number, type: string, message: string): void {
      res.setHeader("x-amzn-errortype", `${type}:http://internal.amazon.com/coral/com.amazon.anyscale/`);
      send(status, { __type: `com.amazon.anyscale#${type}`, message });
    }

    function send(status: number, body: unknown): void {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": JSON_11, "content-length": String(Buffer.byteLength(text)), "x-amzn-requestid": randomUUID() }).end(text);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    registerTarget(tableName, scalableDimension, minCapacity, maxCapacity) {
      const resourceId = `table/${tableName}`;
      targets.set(keyOf(resourceId, scalableDimension), {
        resourceId,
        scalableDimension,
        minCapacity,
        maxCapacity,
        arn: `arn:aws:application-autoscaling:${region}:123456789012:scalable-target/${randomUUID().replace(/-/g, "")}`,
      });
    },
    target: (tableName, scalableDimension) => targets.get(keyOf(`table/${tableName}`, scalableDimension)),
    failNext: (...faults) => scripted.push(...faults),
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
