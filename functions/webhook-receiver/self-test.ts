/**
 * The webhook receiver's self-test (shared/self-test.ts): its shared secret's fields, its
 * state table (a GetItem on a key no resource has), the configured tables (DescribeTable)
 * and the capacity path's permission (a no-op change: table-capacity.ts
 * {@link probeCapacityChange}). No item and no capacity is changed.
 */
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { requireEnv } from "../shared/config";
import { dynamoDocumentClient } from "../shared/dynamodb";
import { CheckFailure, CheckNotApplicable, type SelfTestCheck } from "../shared/self-test";
import { secretFieldsCheck } from "../shared/self-test-checks";
import type { WebhookAction } from "../shared/webhook-actions";
import { probeCapacityChange } from "./table-capacity";

/** Key of the state-table probe: no resource has it. */
export const SELF_TEST_STATE_KEY = "gcv-self-test";

let dynamodb: DynamoDBClient | undefined;

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
        for (const action of provisioned) {
          try {
            await probeCapacityChange(action, signal);
          } catch (error) {
            if (error instanceof Error && error.name === "ValidationException") {
              throw new CheckFailure(
                `Application Auto Scaling refused the no-op change of table ${action.tableName}: ValidationException: ${error.message}`,
                "the table has no scalable target this receiver may update: re-apply <env>-aws, which registers one per configured table and dimension",
              );
            }
            throw error;
          }
        }
      },
      fix: (kind) =>
        kind === "aws-access-denied"
          ? "the receiver may only update the scalable targets the stack registered and tagged for it: re-apply <env>-aws so each configured table and dimension has its tagged target"
          : undefined,
    },
  ];
}
