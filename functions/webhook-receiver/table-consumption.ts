/**
 * What a DynamoDB table consumes, from CloudWatch: ConsumedReadCapacityUnits and
 * ConsumedWriteCapacityUnits (namespace AWS/DynamoDB, dimension TableName, so the
 * table itself and not its indexes), 1-minute sums over a recent window, read with one
 * GetMetricData call. Each minute's Sum / 60 is that minute's average use per second,
 * which is what provisioned capacity units are measured in.
 *
 * IAM: `cloudwatch:GetMetricData` on Resource "*" (the action has no resource-level
 * permissions).
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery, type MetricDataResult } from "@aws-sdk/client-cloudwatch";

/** Per-second consumption of each minute in the window (empty when there was no traffic). */
export interface TableConsumption {
  readPerSecond: number[];
  writePerSecond: number[];
}

/**
 * CloudWatch could not say what the table consumes right now (throttled, server error,
 * timeout, network): nothing may be decreased blindly, so the caller retries later.
 */
export class ConsumptionUnavailableError extends Error {
  override readonly name = "ConsumptionUnavailableError";
}

const PERIOD_SECONDS = 60;
const QUERY_IDS = { read: "consumedRead", write: "consumedWrite" } as const;
const TRANSIENT_ERROR_NAMES = new Set([
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "InternalServiceFault",
  "InternalServiceError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "AbortError",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
]);

/** Reads table consumption from CloudWatch. */
export class TableConsumptionReader {
  /**
   * @param deadlineMs time allowed for one read, the SDK's retries included; past it the
   *   read fails with {@link ConsumptionUnavailableError}
   */
  constructor(
    private readonly deadlineMs: number,
    private readonly client: CloudWatchClient = new CloudWatchClient({}),
  ) {}

  /** Consumption of `tableName` over the `windowMinutes` before `now` (epoch ms). */
  async read(tableName: string, windowMinutes: number, now: number): Promise<TableConsumption> {
    // Up to the end of the current minute: a partial minute can only add to the peak.
    const endSeconds = Math.ceil(now / 1000 / PERIOD_SECONDS) * PERIOD_SECONDS;
    const startTime = new Date((endSeconds - windowMinutes * PERIOD_SECONDS) * 1000);
    const endTime = new Date(endSeconds * 1000);
    const query = (id: string, metricName: string): MetricDataQuery => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: "AWS/DynamoDB", MetricName: metricName, Dimensions: [{ Name: "TableName", Value: tableName }] },
        Period: PERIOD_SECONDS,
        Stat: "Sum",
      },
      ReturnData: true,
    });
    const queries = [query(QUERY_IDS.read, "ConsumedReadCapacityUnits"), query(QUERY_IDS.write, "ConsumedWriteCapacityUnits")];
    const sums: Record<string, number[]> = { [QUERY_IDS.read]: [], [QUERY_IDS.write]: [] };
    const abortSignal = AbortSignal.timeout(this.deadlineMs);

    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: startTime, EndTime: endTime, NextToken: nextToken }),
          { abortSignal },
        );
      } catch (error) {
        throw isTransient(error) ? new ConsumptionUnavailableError(`CloudWatch GetMetricData for table ${tableName}: ${describe(error)}`) : error;
      }
      for (const result of page.MetricDataResults ?? []) collect(result, sums, tableName);
      nextToken = page.NextToken;
    } while (nextToken);

    return {
      readPerSecond: sums[QUERY_IDS.read]!.map((sum) => sum / PERIOD_SECONDS),
      writePerSecond: sums[QUERY_IDS.write]!.map((sum) => sum / PERIOD_SECONDS),
    };
  }
}

function collect(result: MetricDataResult, sums: Record<string, number[]>, tableName: string): void {
  const values = result.Id ? sums[result.Id] : undefined;
  if (!values) return;
  // Complete, or PartialData with a NextToken for the rest; anything else means the
  // numbers cannot be trusted as the whole picture.
  if (result.StatusCode === "InternalError") {
    throw new ConsumptionUnavailableError(`CloudWatch answered InternalError for ${result.Label ?? result.Id} of table ${tableName}`);
  }
  if (result.StatusCode === "Forbidden") {
    throw new Error(`CloudWatch refused ${result.Label ?? result.Id} of table ${tableName} (Forbidden): check the function's cloudwatch:GetMetricData permission`);
  }
  values.push(...(result.Values ?? []));
}

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  if (TRANSIENT_ERROR_NAMES.has(error.name)) return true;
  // No HTTP answer at all (connection refused or reset, DNS): the service was not reached.
  const code = (error as { code?: string }).code;
  return status === undefined && typeof code === "string" && /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
