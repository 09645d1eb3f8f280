import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { Aspects, Testing, TerraformStack } from "cdktf";
import { getWebIdentityTokenForAzure } from "../../../constructs/pipelines/transcript-vault";
import { SecurityPolicyAspect } from "../../../constructs/policy/security-policy";
import { VAULT_WRITER_DATA_ACTIONS } from "../../../constructs/vault/vault-writer-identity";
import { policyDocument } from "../../../lib/iam";
import { synthEnvironments } from "../../support/synth-app";

/** Synthesizes one stack built by `build` with the aspect applied; returns the error message or "" */
function synthWithPolicy(build: (stack: TerraformStack) => void): string {
  const app = Testing.app();
  const stack = new TerraformStack(app, "insecure");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  new AzurermProvider(stack, "azurerm", { features: [{}] });
  build(stack);
  Aspects.of(stack).add(new SecurityPolicyAspect());
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
});
