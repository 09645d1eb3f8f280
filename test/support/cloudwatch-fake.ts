/**
 * A tiny Amazon CloudWatch fake: GetMetricData only, in the AWS JSON 1.0 protocol the
 * SDK speaks (POST /, `X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`,
 * `application/x-amz-json-1.0`, timestamps as epoch seconds), on 127.0.0.1 port 0.
 * Point functions at it with `AWS_ENDPOINT_URL_CLOUDWATCH=fake.endpoint`.
 *
 * Datapoints are 1-minute values placed on the newest minutes of the requested window
 * (newest last); like the real service, a metric without data answers an empty,
 * "Complete" result rather than an error. Faults are scripted per request (consumed
 * one per call) or set until cleared; errors use the JSON shape and headers the SDK
 * parses (`x-amzn-errortype`, `__type`, and `x-amzn-query-error` because CloudWatch
 * is query-compatible).
 *
 * @example
 * const cloudwatch = await startCloudWatchFake();
 * cloudwatch.setConsumption("orders", { readPerSecond: [10, 40], writePerSecond: [] });
 * cloudwatch.failNext("throttle", "throttle"); // the next two calls are throttled
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { isAllowed, type Statement } from "./iam";

const TARGET_PREFIX = "GraniteServiceVersion20100801.";
const JSON_10 = "application/x-amz-json-1.0";

/** A scripted failure of one request. */
export type CloudWatchFault =
  /** 400 ThrottlingException ("Rate exceeded"), as under API rate limiting. */
  | "throttle"
  /** 500 InternalServiceFault. */
  | "internal"
  /** 503 ServiceUnavailable. */
  | "unavailable"
  /** The request is accepted and never answered (until the fake closes). */
  | "hang";

/** Per-second consumption of a table, one value per minute, newest last. */
export interface Consumption {
  readPerSecond?: number[];
  writePerSecond?: number[];
}

/** One GetMetricData query as received. */
export interface ReceivedQuery {
  id: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  period: number;
  stat: string;
}

/** One GetMetricData call as received (faulted calls included). */
export interface ReceivedCall {
  startTime: number;
  endTime: number;
  queries: ReceivedQuery[];
  /** The fault it got, if any. */
  fault?: CloudWatchFault;
}

/** A running fake. */
export interface CloudWatchFake {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Sets a table's ConsumedRead/WriteCapacityUnits (per second; the fake answers Sum = value x period). */
  setConsumption(tableName: string, consumption: Consumption): void;
  /** Sets any other metric's values, one per period, newest last (answered as given, whatever the statistic). */
  setMetric(namespace: string, metricName: string, dimensions: Record<string, string>, values: number[]): void;
  /** Faults for the next calls, one per call, in order. */
  failNext(...faults: CloudWatchFault[]): void;
  /** The caller's identity policy; every call is authorized against it from now on. */
  setCallerPolicy(statements: readonly Statement[]): void;
  /** A fault every call gets until set to undefined (after the scripted ones). */
  setFault(fault: CloudWatchFault | undefined): void;
  calls: ReceivedCall[];
  close(): Promise<void>;
}

const METRIC_OF: Record<string, keyof Consumption> = {
  ConsumedReadCapacityUnits: "readPerSecond",
  ConsumedWriteCapacityUnits: "writePerSecond",
};

/** Starts the fake. Close it in afterAll. */
export async function startCloudWatchFake(): Promise<CloudWatchFake> {
  const tables = new Map<string, Consumption>();
  const series = new Map<string, number[]>();
  const seriesKey = (namespace: string, metricName: string, dimensions: Record<string, string>) =>
    JSON.stringify([namespace, metricName, Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b))]);
  const scripted: CloudWatchFault[] = [];
  let persistent: CloudWatchFault | undefined;
  const calls: ReceivedCall[] = [];
  let callerPolicy: readonly Statement[] | undefined;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      if (req.method !== "POST" || !target.startsWith(TARGET_PREFIX)) {
        return error(400, "UnknownOperationException", "UnknownOperation", "Sender", `unknown operation ${target || "(no X-Amz-Target)"}`);
      }
      if (target !== `${TARGET_PREFIX}GetMetricData`) {
        return error(400, "UnknownOperationException", "UnknownOperation", "Sender", `the fake supports GetMetricData only, got ${target.slice(TARGET_PREFIX.length)}`);
      }
      if (callerPolicy && !isAllowed(callerPolicy, "cloudwatch:GetMetricData", "*")) {
        return error(400, "AccessDeniedException", "AccessDenied", "Sender", "User is not authorized to perform: cloudwatch:GetMetricData because no identity-based policy allows the cloudwatch:GetMetricData action");
      }
      if (!String(req.headers["content-type"] ?? "").startsWith(JSON_10)) {
        return error(400, "SerializationException", "SerializationException", "Sender", `content-type must be ${JSON_10}`);
      }
      let input: Record<string, any>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        return error(400, "SerializationException", "SerializationException", "Sender", "body is not JSON");
      }
      const startTime = epochSeconds(input.StartTime);
      const endTime = epochSeconds(input.EndTime);
      const rawQueries: unknown[] = Array.isArray(input.MetricDataQueries) ? input.MetricDataQueries : [];
      if (startTime === undefined || endTime === undefined || startTime >= endTime) {
        return invalid("The parameter StartTime must be less than the parameter EndTime.");
      }
      if (rawQueries.length === 0 || rawQueries.length > 500) return invalid("MetricDataQueries must hold 1 to 500 queries.");
      const queries: ReceivedQuery[] = [];
      for (const raw of rawQueries) {
        const q = raw as Record<string, any>;
        const stat = q.MetricStat as Record<string, any> | undefined;
        if (typeof q.Id !== "string" || !/^[a-z][A-Za-z0-9_]*$/.test(q.Id)) return invalid(`The value ${q.Id} for parameter MetricDataQueries.member.Id is invalid.`);
        if (!stat?.Metric || typeof stat.Period !== "number" || stat.Period % 60 !== 0 || typeof stat.Stat !== "string") {
          return invalid(`MetricDataQueries ${q.Id} needs MetricStat with Metric, a Period that is a multiple of 60, and Stat.`);
        }
        queries.push({
          id: q.Id,
          namespace: String(stat.Metric.Namespace),
          metricName: String(stat.Metric.MetricName),
          dimensions: Object.fromEntries(((stat.Metric.Dimensions ?? []) as Array<{ Name: string; Value: string }>).map((d) => [d.Name, d.Value])),
          period: stat.Period,
          stat: stat.Stat,
        });
      }
      const fault = scripted.shift() ?? persistent;
      calls.push({ startTime, endTime, queries, ...(fault ? { fault } : {}) });
      switch (fault) {
        case "hang":
          return; // answered never; closeAllConnections() ends it
        case "throttle":
          return error(400, "ThrottlingException", "Throttling", "Sender", "Rate exceeded");
        case "internal":
          return error(500, "InternalServiceFault", "InternalServiceError", "Receiver", "Internal service error");
        case "unavailable":
          return error(503, "ServiceUnavailable", "ServiceUnavailable", "Receiver", "Service unavailable");
      }
      send(200, { MetricDataResults: queries.map((query) => result(query, startTime, endTime)), Messages: [] });
    });

    function result(query: ReceivedQuery, startTime: number, endTime: number) {
      const field = METRIC_OF[query.metricName];
      const tableName = query.dimensions.TableName;
      const known = query.namespace === "AWS/DynamoDB" && field !== undefined && tableName !== undefined && query.stat === "Sum";
      const perSecond = known ? (tables.get(tableName)?.[field] ?? []) : [];
      const given = series.get(seriesKey(query.namespace, query.metricName, query.dimensions));
      const values = given ?? perSecond.map((value) => value * query.period);
      // Newest value on the window's last period, older ones before it; none outside the window.
      const lastStart = Math.floor((endTime - 1) / query.period) * query.period;
      const points = values
        .map((value, index) => ({ timestamp: lastStart - (values.length - 1 - index) * query.period, sum: value }))
        .filter((point) => point.timestamp >= startTime)
        .reverse(); // CloudWatch's default ScanBy is TimestampDescending
      return { Id: query.id, Label: query.metricName, Timestamps: points.map((p) => p.timestamp), Values: points.map((p) => p.sum), StatusCode: "Complete" };
    }

    function invalid(message: string): void {
      error(400, "InvalidParameterValueException", "InvalidParameterValue", "Sender", message);
    }

    function error(status: number, type: string, queryCode: string, fault: "Sender" | "Receiver", message: string): void {
      res.setHeader("x-amzn-errortype", `${type}:`);
      res.setHeader("x-amzn-query-error", `${queryCode};${fault}`);
      send(status, { __type: `com.amazonaws.cloudwatch#${type}`, message });
    }

    function send(status: number, body: unknown): void {
      const text = JSON.stringify(body);
      res
        .writeHead(status, { "content-type": JSON_10, "content-length": String(Buffer.byteLength(text)), "x-amzn-requestid": randomUUID() })
        .end(text);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setConsumption: (tableName, consumption) => tables.set(tableName, { ...consumption }),
    setMetric: (namespace, metricName, dimensions, values) => void series.set(seriesKey(namespace, metricName, dimensions), [...values]),
    failNext: (...faults) => scripted.push(...faults),
    setFault: (fault) => (persistent = fault),
    setCallerPolicy: (statements) => void (callerPolicy = statements),
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function epochSeconds(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return Date.parse(value) / 1000;
  return undefined;
}
