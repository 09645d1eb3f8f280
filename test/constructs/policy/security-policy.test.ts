import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageAccountNetworkRulesA } from "@cdktf/provider-azurerm/lib/storage-account-network-rules";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { Aspects, Fn, Testing, TerraformStack } from "cdktf";
import { getWebIdentityTokenForAzure } from "../../../constructs/pipelines/pipeline-context";
import { SecurityPolicyAspect, type SecurityPolicyOptions } from "../../../constructs/policy/security-policy";
import { VAULT_WRITER_DATA_ACTIONS } from "../../../constructs/vault/vault-writer-identity";
import { policyDocument } from "../../../lib/iam";
import { synthEnvironments } from "../../support/synth-app";

/** Synthesizes one stack built by `build` with the aspect applied; returns the error message or "" */
function synthWithPolicy(build: (stack: TerraformStack) => void, options?: SecurityPolicyOptions): string {
  const app = Testing.app();
  const stack = new TerraformStack(app, "insecure");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  new AzurermProvider(stack, "azurerm", { features: [{}] });
  build(stack);
  Aspects.of(stack).add(new SecurityPolicyAspect(options));
  try {
    app.synth();
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

const secureAccount = {
  name: "securevault01",
  resourceGroupName: "rg",
  location: "westeurope",
  accountTier: "Standard",
  accountReplicationType: "LRS",
  minTlsVersion: "TLS1_2",
  allowNestedItemsToBePublic: false,
  networkRules: { defaultAction: "Deny", ipRules: ["203.0.113.10"] },
  sharedAccessKeyEnabled: false,
};

describe("SecurityPolicyAspect", () => {
  test("every shipped environment passes the policy", () => {
    expect(() => synthEnvironments()).not.toThrow();
  });

  test("an SQS queue without encryption fails synth naming the resource", () => {
    const msg = synthWithPolicy((s) => new SqsQueue(s, "plain-queue", { name: "plain" }));
    expect(msg).toMatch(/\[security policy\] aws_sqs_queue insecure\/plain-queue: is not encrypted at rest/);
  });

  test("an SQS queue with a KMS key passes", () => {
    expect(synthWithPolicy((s) => new SqsQueue(s, "q", { name: "q", kmsMasterKeyId: "alias/x" }))).toBe("");
  });

  test("a DynamoDB table without server-side encryption fails synth", () => {
    const msg = synthWithPolicy(
      (s) => new DynamodbTable(s, "table", { name: "t", hashKey: "id", attribute: [{ name: "id", type: "S" }], billingMode: "PAY_PER_REQUEST" }),
    );
    expect(msg).toMatch(/aws_dynamodb_table insecure\/table: is not encrypted with a KMS key/);
  });

  test("a DynamoDB table without point-in-time recovery fails synth; with it, it passes", () => {
    const table = (pointInTimeRecovery?: { enabled: boolean }) => (s: TerraformStack) =>
      new DynamodbTable(s, "table", {
        name: "t",
        hashKey: "id",
        attribute: [{ name: "id", type: "S" }],
        billingMode: "PAY_PER_REQUEST",
        serverSideEncryption: { enabled: true, kmsKeyArn: "arn:aws:kms:eu-west-1:111111111111:key/k" },
        ...(pointInTimeRecovery ? { pointInTimeRecovery } : {}),
      });
    expect(synthWithPolicy(table())).toMatch(/aws_dynamodb_table insecure\/table: has no point-in-time recovery/);
    expect(synthWithPolicy(table({ enabled: false }))).toMatch(/has no point-in-time recovery/);
    expect(synthWithPolicy(table({ enabled: true }))).toBe("");
  });

  test("an IAM statement with Action \"*\" fails synth", () => {
    const msg = synthWithPolicy(
      (s) => new IamRolePolicy(s, "admin", { role: "r", policy: policyDocument({ Sid: "Everything", Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" }) }),
    );
    expect(msg).toMatch(/aws_iam_role_policy insecure\/admin: an Allow statement grants Action "\*" \(Sid Everything\)/);
  });

  test("a scoped action on Resource \"*\" fails, ENI management on \"*\" passes", () => {
    const bad = synthWithPolicy((s) => new IamRolePolicy(s, "p", { role: "r", policy: policyDocument({ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: "*" }) }));
    expect(bad).toMatch(/grants sqs:SendMessage on Resource "\*"/);
    const eni = synthWithPolicy(
      (s) =>
        new IamRolePolicy(s, "p", {
          role: "r",
          policy: policyDocument({ Effect: "Allow", Action: ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface"], Resource: "*" }),
        }),
    );
    expect(eni).toBe("");
  });

  test("a queue policy open to Principal \"*\" without a condition fails", () => {
    const msg = synthWithPolicy(
      (s) => new SqsQueuePolicy(s, "qp", { queueUrl: "u", policy: policyDocument({ Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: "arn" }) }),
    );
    expect(msg).toMatch(/admits Principal "\*" without a condition/);
  });

  test("a storage account allowing public blob access fails synth", () => {
    const msg = synthWithPolicy((s) => new StorageAccount(s, "public-account", { ...secureAccount, allowNestedItemsToBePublic: true }));
    expect(msg).toMatch(/azurerm_storage_account insecure\/public-account: allows public blob access/);
  });

  test("a storage account without default-deny networking fails synth", () => {
    const { networkRules: _omit, ...noRules } = secureAccount;
    expect(synthWithPolicy((s) => new StorageAccount(s, "open", noRules))).toMatch(/does not deny network access by default/);
    expect(synthWithPolicy((s) => new StorageAccount(s, "allow", { ...secureAccount, networkRules: { defaultAction: "Allow" } }))).toMatch(
      /does not deny network access by default/,
    );
  });

  test("a storage account accepting TLS 1.0 fails synth", () => {
    expect(synthWithPolicy((s) => new StorageAccount(s, "tls", { ...secureAccount, minTlsVersion: "TLS1_0" }))).toMatch(/accepts TLS below 1\.2/);
  });

  test("the secure storage account passes", () => {
    expect(synthWithPolicy((s) => new StorageAccount(s, "ok", secureAccount))).toBe("");
  });

  test("an Azure role definition with a wildcard action fails synth; listed data actions pass", () => {
    const role = (dataActions: string[]) => (s: TerraformStack) =>
      new RoleDefinition(s, "role", { name: "writer", scope: "/subscriptions/x", permissions: [{ actions: [], dataActions }] });
    expect(synthWithPolicy(role(["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"]))).toMatch(
      /azurerm_role_definition insecure\/role: grants the wildcard action "Microsoft\.Storage\/storageAccounts\/blobServices\/containers\/blobs\/\*"/,
    );
    expect(synthWithPolicy(role([...VAULT_WRITER_DATA_ACTIONS]))).toBe("");
  });

  test("sts:GetWebIdentityToken may use Resource \"*\" (it has no resource type)", () => {
    expect(synthWithPolicy((s) => new IamRolePolicy(s, "p", { role: "r", policy: policyDocument(getWebIdentityTokenForAzure()) }))).toBe("");
  });

  test("a public blob container fails synth", () => {
    expect(synthWithPolicy((s) => new StorageContainer(s, "c", { name: "c", storageAccountId: "id", containerAccessType: "blob" }))).toMatch(
      /azurerm_storage_container insecure\/c: is public/,
    );
  });

  test("a security group open to the internet fails synth", () => {
    const msg = synthWithPolicy(
      (s) => new SecurityGroup(s, "sg", { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] }),
    );
    expect(msg).toMatch(/aws_security_group insecure\/sg: admits inbound traffic from the internet/);
  });

  test("a Lambda with a secret-looking environment variable fails synth; ARNs are fine", () => {
    const fn = (variables: Record<string, string>) => (s: TerraformStack) =>
      new LambdaFunction(s, "fn", { functionName: "f", role: "r", environment: { variables } });
    expect(synthWithPolicy(fn({ GENESYS_CLIENT_SECRET: "shh" }))).toMatch(/environment variable GENESYS_CLIENT_SECRET that looks like a secret/);
    expect(synthWithPolicy(fn({ GENESYS_SECRET_ARN: "arn:aws:secretsmanager:x" }))).toBe("");
  });

  test("all violations are reported at once", () => {
    const msg = synthWithPolicy((s) => {
      new SqsQueue(s, "q1", {});
      new SqsQueue(s, "q2", {});
    });
    expect(msg.match(/\[security policy\]/g)).toHaveLength(2);
  });

  describe("gaps found by probing the aspect directly", () => {
    const rolePolicy = (statement: Parameters<typeof policyDocument>[0]) => (s: TerraformStack) =>
      new IamRolePolicy(s, "p", { role: "r", policy: policyDocument(statement) });

    test('a resource policy admitting {"AWS": "*"} without a condition fails; with a condition it passes', () => {
      const queuePolicy = (condition?: Record<string, Record<string, string>>) => (s: TerraformStack) =>
        new SqsQueuePolicy(s, "qp", {
          queueUrl: "u",
          policy: policyDocument({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sqs:SendMessage", Resource: "arn", ...(condition ? { Condition: condition } : {}) }),
        });
      expect(synthWithPolicy(queuePolicy())).toMatch(/aws_sqs_queue_policy insecure\/qp: an Allow statement admits Principal \{"AWS":"\*"\} without a condition/);
      expect(synthWithPolicy(queuePolicy({ StringEquals: { "aws:PrincipalOrgID": "o-abc" } }))).toBe("");
    });

    test("a service-wide wildcard (s3:*) fails; the key policy's account-root administration passes", () => {
      expect(synthWithPolicy(rolePolicy({ Sid: "AllOfS3", Effect: "Allow", Action: ["s3:*"], Resource: "arn:aws:s3:::b" }))).toMatch(
        /aws_iam_role_policy insecure\/p: an Allow statement grants every action of a service \(s3:\*\) \(Sid AllOfS3\)/,
      );
      const keyPolicy = (principal: string) => (s: TerraformStack) =>
        new KmsKey(s, "k", { enableKeyRotation: true, policy: policyDocument({ Effect: "Allow", Principal: { AWS: principal }, Action: "kms:*", Resource: "*" }) });
      expect(synthWithPolicy(keyPolicy("arn:aws:iam::111111111111:root"))).toBe("");
      expect(synthWithPolicy(keyPolicy("arn:aws:iam::111111111111:role/app"))).toMatch(/aws_kms_key insecure\/k: an Allow statement grants every action of a service \(kms:\*\)/);
    });

    test("iam:PassRole on role/* fails; on one named role it passes", () => {
      expect(synthWithPolicy(rolePolicy({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::111111111111:role/*" }))).toMatch(
        /lets iam:PassRole pass any role \(arn:aws:iam::111111111111:role\/\*\)/,
      );
      expect(synthWithPolicy(rolePolicy({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::111111111111:role/sfn-exec" }))).toBe("");
    });

    test("a Lambda permission for a service without a source ARN fails; with one it passes", () => {
      const permission = (sourceArn?: string) => (s: TerraformStack) =>
        new LambdaPermission(s, "perm", { action: "lambda:InvokeFunction", functionName: "f", principal: "apigateway.amazonaws.com", sourceArn });
      expect(synthWithPolicy(permission())).toMatch(/aws_lambda_permission insecure\/perm: lets apigateway.amazonaws.com invoke the function for any resource of any account: set source_arn/);
      expect(synthWithPolicy(permission("arn:aws:execute-api:eu-west-1:111111111111:api/*/POST/x"))).toBe("");
    });

    test("a storage account with shared-key access fails, unless the environment runs an explicit SAS mode", () => {
      const account = (s: TerraformStack) => new StorageAccount(s, "keyed", { ...secureAccount, sharedAccessKeyEnabled: true });
      expect(synthWithPolicy(account)).toMatch(/azurerm_storage_account insecure\/keyed: accepts shared-key \(account key\) authorization outside a SAS mode/);
      const { sharedAccessKeyEnabled: _default, ...unset } = secureAccount; // the provider's default is enabled
      expect(synthWithPolicy((s) => new StorageAccount(s, "unset", unset))).toMatch(/insecure\/unset: accepts shared-key/);
      expect(synthWithPolicy(account, { allowSharedKey: true })).toBe("");
    });

    test("a storage account reachable from public networks without default Deny fails; one with public network access off passes", () => {
      const open = { ...secureAccount, publicNetworkAccessEnabled: true, networkRules: { defaultAction: "Allow" } };
      expect(synthWithPolicy((s) => new StorageAccount(s, "open", open))).toMatch(/insecure\/open: is reachable from public networks and does not deny network access by default/);
      const { networkRules: _none, ...noRules } = secureAccount;
      expect(synthWithPolicy((s) => new StorageAccount(s, "private", { ...noRules, publicNetworkAccessEnabled: false }))).toBe("");
    });

    test("an ip_rules entry of 0.0.0.0/0 fails, on the account and on separate network rules", () => {
      const wide = { ...secureAccount, networkRules: { defaultAction: "Deny", ipRules: ["203.0.113.10", "0.0.0.0/0"] } };
      expect(synthWithPolicy((s) => new StorageAccount(s, "wide", wide))).toMatch(/insecure\/wide: is reachable from public networks and admits the internet through ip_rules 0.0.0.0\/0/);
      const rules = (defaultAction: string, ipRules: string[]) => (s: TerraformStack) =>
        new StorageAccountNetworkRulesA(s, "rules", { storageAccountId: "id", defaultAction, ipRules });
      expect(synthWithPolicy(rules("Deny", ["0.0.0.0/0"]))).toMatch(/azurerm_storage_account_network_rules insecure\/rules: admits the internet through ip_rules 0.0.0.0\/0/);
      expect(synthWithPolicy(rules("Allow", ["203.0.113.10"]))).toMatch(/insecure\/rules: does not deny network access by default/);
      expect(synthWithPolicy(rules("Deny", ["203.0.113.0/24"]))).toBe("");
    });

    test("log retention under the environment's minimum fails", () => {
      const group = (retentionInDays: number) => (s: TerraformStack) => new CloudwatchLogGroup(s, "lg", { name: "g", kmsKeyId: "arn:k", retentionInDays });
      expect(synthWithPolicy(group(7), { minLogRetentionDays: 90 })).toMatch(/aws_cloudwatch_log_group insecure\/lg: keeps logs 7 days, under the environment's minimum of 90/);
      expect(synthWithPolicy(group(90), { minLogRetentionDays: 90 })).toBe("");
    });

    test("a policy written as a Terraform expression fails: the check cannot read it", () => {
      const expression = (s: TerraformStack) =>
        new IamRolePolicy(s, "expr", { role: "r", policy: Fn.jsonencode({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) });
      expect(synthWithPolicy(expression)).toMatch(/aws_iam_role_policy insecure\/expr: has a policy written as a Terraform expression/);
    });
  });
});
