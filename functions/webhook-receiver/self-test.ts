/**
 * The webhook receiver's self-test (shared/self-test.ts): its shared secret's fields, its
 * state table (a GetItem on a key no resource has), the configured tables (DescribeTable)
 * and the capacity path's permissions (table-capacity.ts `TableCapacity.probe`: DescribeTable,
 * the CloudWatch consumption read, and an UpdateTable asking for the throughput the table
 * already has, which DynamoDB refuses as a non-change only after IAM allowed it). No item and
 * no capacity is changed.
 */
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { intEnv, requireEnv } from "../shared/config";
import { dynamoDocumentClient } from "../shared/dynamodb";
import { CheckFailure, CheckNotApplicable, type SelfTestCheck } from "../shared/self-test";
import { secretFieldsCheck } from "../shared/self-test-checks";
import type { WebhookAction } from "../shared/webhook-actions";
import { TableCapacity } from "./table-capacity";
import { TableConsumptionReader } from "./table-consumption";

/** Key of the state-table probe: no resource has it. */
export const SELF_TEST_STATE_KEY = "gcv-self-test";

let dynamodb: DynamoDBClient | undefined;
let capacity: TableCapacity | undefined;

/** The receiver's checks for its configured `actions`. */
export function webhookReceiverChecks(actions: () => WebhookAction[]): SelfTestCheck[] {
  const tables = (dynamodb ??= new DynamoDBClient({}));
  const onDemand = new Set<string>();
  return [
    secretFieldsCheck("webhook secret", "WEBHOOK_SECRET_ARN", ["sharedSecret"]),
    {
      name: "state table",
      run: async (signal) => {
        await dynamoDocumentClient().send(new GetCommand({ TableName: requireEnv("WEBHOOK_STATE_TABLE_NAME"), Key: { resourceKey: SELF_TEST_STATE_KEY } }), { abortSignal: signal });
      },
      fix: (kind) => (kind === "aws-access-denied" ? "grant the receiver's role dynamodb:GetItem on its state table (re-apply <env>-aws)" : undefined),
    },
    {
      name: "action tables",
      run: async (signal) => {
        for (const tableName of new Set(actions().map((a) => a.tableName))) {
          const { Table: table } = await tables.send(new DescribeTableCommand({ TableName: tableName }), { abortSignal: signal });
          if (table?.BillingModeSummary?.BillingMode === "PAY_PER_REQUEST") onDemand.add(tableName);
        }
      },
      fix: (kind) =>
        kind === "aws-access-denied"
          ? "grant the receiver's role dynamodb:DescribeTable on the tables its actions name (re-apply <env>-aws)"
          : kind === "aws-not-found"
            ? "a webhook action names a table that does not exist in this account and region: correct the environment's webhook actions"
            : undefined,
    },
    {
      name: "capacity change permission",
      after: ["action tables"],
      run: async (signal) => {
        const provisioned = actions().filter((a) => !onDemand.has(a.tableName));
        if (!provisioned.length) throw new CheckNotApplicable("every configured table is on demand: the receiver changes no capacity");
        capacity ??= new TableCapacity(new TableConsumptionReader(intEnv("WEBHOOK_CONSUMPTION_READ_TIMEOUT_MS")));
        for (const tableName of new Set(provisioned.map((a) => a.tableName))) {
          if (signal.aborted) return;
          const probe = await capacity.probe(tableName);
          if (probe.outcome === "denied") {
            throw new CheckFailure(
              `DynamoDB refused the capacity change of table ${tableName}: ${probe.error}`,
              "grant the receiver's role dynamodb:DescribeTable and dynamodb:UpdateTable on the tables its actions name (re-apply <env>-aws)",
            );
          }
          if (probe.outcome === "busy") {
            throw new CheckFailure(`table ${tableName} is ${probe.tableStatus}: its permission could not be probed without racing that change`, "run the verification again once the table is ACTIVE");
          }
        }
      },
      fix: (kind) =>
        kind === "aws-access-denied"
          ? "grant the receiver's role cloudwatch:GetMetricData (it reads each table's consumption before a change; re-apply <env>-aws)"
          : undefined,
    },
  ];
}
