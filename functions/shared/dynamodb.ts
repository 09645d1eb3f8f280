/**
 * DynamoDB access shared by the functions that keep their own state (config-sync's
 * audit table, webhook-receiver's ordering state): one document client per process,
 * and the test for a lost conditional write.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

let documentClient: DynamoDBDocumentClient | undefined;

/** The process-wide document client (created on first use; honours AWS_ENDPOINT_URL_DYNAMODB). */
export function dynamoDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

/**
 * True when a write was refused because its ConditionExpression did not hold: the
 * expected outcome of a lost race or a duplicate, not a failure.
 */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}
