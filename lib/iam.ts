/** A statement of an IAM (or resource) policy, in AWS's own JSON shape. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: "*" | Readonly<Record<string, string | readonly string[]>>;
  /** What is allowed or denied; a Deny may name what it does not cover with `NotAction` instead. */
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  /** Omitted only in trust policies, which must not have one. */
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | boolean | readonly string[]>>>>;
}

/**
 * Renders a policy document. Token strings (resource ARNs) stay in place and
 * resolve at synth, so the synthesized JSON is the exact policy AWS receives.
 * @example
 * policyDocument({ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: queue.arn })
 */
export function policyDocument(...statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * Use of a KMS key only through the AWS services that encrypt on the caller's behalf
 * (`kms:ViaService`): a leaked credential cannot call KMS directly to decrypt data.
 * @example keyUseVia("DecryptQueueMessages", keyArn, "kms:Decrypt", "eu-west-1", ["sqs"])
 */
export function keyUseVia(sid: string, keyArn: string, actions: string | readonly string[], region: string, services: readonly string[]): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: keyArn,
    Condition: { StringEquals: { "kms:ViaService": services.map((service) => `${service}.${region}.amazonaws.com`) } },
  };
}

/** Denies any request to a resource that is not made over TLS. */
export function denyInsecureTransport(resource: string | readonly string[], actions: string | readonly string[]): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: actions,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** Trust policy letting one AWS service assume a role, limited to this account. */
export function serviceTrustPolicy(service: string, accountId: string): string {
  return policyDocument({
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sts:AssumeRole",
    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
  });
}

/** `aws`, `aws-us-gov` or `aws-cn`, from the region name (no API call, so offline plans work). */
export function partitionOf(region: string): string {
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("cn-")) return "aws-cn";
  return "aws";
}

/** CloudWatch Logs delivery (Step Functions, API Gateway logs): AWS accepts only `Resource: "*"` for these. */
export const LOG_DELIVERY_ACTIONS = [
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
] as const;
