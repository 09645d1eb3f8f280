/** The parts of the Lambda event and context types the functions use (no @types/aws-lambda dependency). */

/** Lambda context (subset). */
export interface LambdaContext {
  functionName: string;
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
  [key: string]: unknown;
}

/** One SQS message delivered to Lambda. */
export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount?: string;
    SentTimestamp?: string;
    ApproximateFirstReceiveTimestamp?: string;
    MessageGroupId?: string;
    [key: string]: string | undefined;
  };
  messageAttributes: Record<string, unknown>;
  md5OfBody?: string;
  eventSource: string;
  eventSourceARN: string;
  awsRegion: string;
}

/** An SQS batch. */
export interface SqsEvent {
  Records: SqsRecord[];
}

/** Partial batch response (requires ReportBatchItemFailures on the event source mapping). */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}
