/**
 * The dispatcher's self-test (shared/self-test.ts): its slots table answers the Query
 * the semaphore uses (on a partition no slot lives in) and its state machine is
 * describable. Nothing is written and no execution starts.
 */
import { DescribeStateMachineCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { requireEnv } from "../shared/config";
import { dynamoDocumentClient } from "../shared/dynamodb";
import type { SelfTestCheck } from "../shared/self-test";

/** Partition key of the probe Query: no slot item has it. */
export const SELF_TEST_POOL = "gcv-self-test";

/** The dispatcher's checks. */
export function dispatcherChecks(stepFunctions: SFNClient): SelfTestCheck[] {
  return [
    {
      name: "slots table",
      run: async (signal) => {
        const tableName = requireEnv("SLOTS_TABLE_NAME");
        await dynamoDocumentClient().send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "#pool = :pool",
            ExpressionAttributeNames: { "#pool": "pool" },
            ExpressionAttributeValues: { ":pool": SELF_TEST_POOL },
            Limit: 1,
          }),
          { abortSignal: signal },
        );
      },
      fix: (kind) =>
        kind === "aws-access-denied" ? "grant the dispatcher's role dynamodb:Query on its slots table (re-apply <env>-aws)" : kind === "aws-not-found" ? "SLOTS_TABLE_NAME names no table: re-apply <env>-aws" : undefined,
    },
    {
      name: "state machine",
      run: async (signal) => {
        await stepFunctions.send(new DescribeStateMachineCommand({ stateMachineArn: requireEnv("STATE_MACHINE_ARN") }), { abortSignal: signal });
      },
      fix: (kind) =>
        kind === "aws-access-denied"
          ? "grant the dispatcher's role states:DescribeStateMachine on the interaction workflow (re-apply <env>-aws)"
          : kind === "aws-not-found"
            ? "STATE_MACHINE_ARN names no state machine: re-apply <env>-aws"
            : undefined,
    },
  ];
}
