import { CloudwatchEventArchive } from "@cdktf/provider-aws/lib/cloudwatch-event-archive";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { Testing } from "cdktf";
import { planSubnets } from "../../constructs/network/subnet-plan";
import { onlyResource, resourcesOf, sampleEnv, synthEnvironments } from "../support/synth-app";

const dev = sampleEnv("dev");
const { stacks, built } = synthEnvironments([dev]);
const aws = stacks["dev-aws"];
const synthesized = Testing.synth(built[0].aws);

describe("encryption key", () => {
  test("rotates automatically", () => {
    expect(synthesized).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
  });

  test("lets only this account's CloudWatch Logs, EventBridge and CloudWatch alarms use it, besides IAM", () => {
    const policy = JSON.parse(onlyResource(aws, "aws_kms_key").policy);
    const services = policy.Statement.filter((s: any) => s.Principal?.Service).map((s: any) => s.Principal.Service).sort();
    expect(services).toEqual(["cloudwatch.amazonaws.com", "events.amazonaws.com", "logs.eu-west-1.amazonaws.com"]);
    for (const s of policy.Statement.filter((st: any) => st.Principal?.Service)) expect(s.Condition).toBeDefined();
    const root = policy.Statement.find((s: any) => s.Principal?.AWS);
    expect(root.Principal.AWS).toBe("arn:aws:iam::111111111111:root");
  });
});

describe("network", () => {
  test("public and private subnets per AZ with non-overlapping literal CIDRs", () => {
    expect(planSubnets("10.40.0.0/20", ["eu-west-1a", "eu-west-1b"])).toEqual([
      { az: "eu-west-1a", publicCidr: "10.40.0.0/22", privateCidr: "10.40.8.0/22" },
      { az: "eu-west-1b", publicCidr: "10.40.4.0/22", privateCidr: "10.40.12.0/22" },
    ]);
    const cidrs = Object.values(resourcesOf(aws, "aws_subnet")).map((s: any) => s.cidr_block);
    expect(cidrs.sort()).toEqual(["10.40.0.0/22", "10.40.12.0/22", "10.40.4.0/22", "10.40.8.0/22"]);
  });

  test("no subnet hands out public IPs on launch", () => {
    for (const s of Object.values(resourcesOf(aws, "aws_subnet"))) expect((s as any).map_public_ip_on_launch).toBe(false);
    expect(synthesized).not.toHaveResourceWithProperties(Subnet, { map_public_ip_on_launch: true });
  });

  test("the Lambda security group has no ingress and egress on HTTPS only", () => {
    expect(synthesized).toHaveResourceWithProperties(SecurityGroup, {
      name: "gcv-dev-lambda-egress",
      ingress: [],
      egress: [expect.objectContaining({ protocol: "tcp", from_port: 443, to_port: 443 })],
    });
  });

  test("the default security group is stripped of all rules", () => {
    expect(synthesized).toHaveResource(DefaultSecurityGroup);
    const sg = onlyResource(aws, "aws_default_security_group");
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
  });

  test("a DynamoDB gateway endpoint is attached to every private route table", () => {
    expect(synthesized).toHaveResourceWithProperties(VpcEndpoint, { service_name: "com.amazonaws.eu-west-1.dynamodb", vpc_endpoint_type: "Gateway" });
    const endpoint = onlyResource(aws, "aws_vpc_endpoint");
    expect(endpoint.route_table_ids).toHaveLength(2);
  });

  test("interface endpoints are optional and admit only the Lambda security group", () => {
    const withEndpoints = synthEnvironments([sampleEnv("dev", { aws: { interfaceEndpoints: ["secretsmanager", "states"] } })]).stacks["dev-aws"];
    const interfaces = Object.values(resourcesOf(withEndpoints, "aws_vpc_endpoint")).filter((e: any) => e.vpc_endpoint_type === "Interface");
    expect(interfaces.map((e: any) => e.service_name).sort()).toEqual(["com.amazonaws.eu-west-1.secretsmanager", "com.amazonaws.eu-west-1.states"]);
    const sg = Object.values(resourcesOf(withEndpoints, "aws_security_group")).find((s: any) => s.name === "gcv-dev-vpc-endpoints") as any;
    expect(sg.ingress).toEqual([expect.objectContaining({ from_port: 443, security_groups: [expect.stringMatching(/aws_security_group\.network_lambda-sg/)] })]);
  });

  test("VPC flow logs go to an encrypted, expiring log group", () => {
    expect(synthesized).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/vpc/gcv-dev-flow-logs", retention_in_days: 14 });
    const group = Object.values(resourcesOf(aws, "aws_cloudwatch_log_group"))[0] as any;
    expect(group.kms_key_id).toMatch(/aws_kms_key/);
  });
});

describe("Genesys event bus", () => {
  test("name and event source are both the full partner source name, encrypted with the key", () => {
    const source = `aws.partner/genesys.com/cloud/${dev.genesys.orgId}/vault-dev`;
    expect(synthesized).toHaveResourceWithProperties(CloudwatchEventBus, { name: source, event_source_name: source });
    expect(onlyResource(aws, "aws_cloudwatch_event_bus").kms_key_identifier).toMatch(/aws_kms_key/);
  });

  test("an archive on the bus keeps events for replay", () => {
    expect(synthesized).toHaveResourceWithProperties(CloudwatchEventArchive, { name: "gcv-dev-genesys-events", retention_days: 7 });
    expect(onlyResource(aws, "aws_cloudwatch_event_archive").event_source_arn).toMatch(/aws_cloudwatch_event_bus\.[\w-]+\.arn/);
  });
});

describe("idempotency table", () => {
  test("uses the Powertools schema with TTL, PITR and KMS encryption", () => {
    expect(synthesized).toHaveResourceWithProperties(DynamodbTable, {
      name: "gcv-dev-idempotency",
      hash_key: "id",
      attribute: [{ name: "id", type: "S" }],
      ttl: { attribute_name: "expiration", enabled: true },
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true, kms_key_arn: expect.stringMatching(/aws_kms_key/) },
    });
  });

  test("prod protects it from deletion", () => {
    const prod = synthEnvironments([sampleEnv("prod")]).stacks["prod-aws"];
    const tables = Object.values(resourcesOf(prod, "aws_dynamodb_table")) as any[];
    expect(tables.map((t) => t.name).sort()).toEqual(["gcv-prod-config-sync-audit", "gcv-prod-idempotency", "gcv-prod-interaction-slots", "gcv-prod-webhook-state"]);
    for (const t of tables) expect(t.deletion_protection_enabled).toBe(true);
  });
});

describe("secrets", () => {
  test("every secret is encrypted with the environment key and has no value in the AWS stack", () => {
    const secrets = Object.values(resourcesOf(aws, "aws_secretsmanager_secret")) as any[];
    expect(secrets.map((s) => s.name).sort()).toEqual(["gcv-dev/azure-vault-writer", "gcv-dev/genesys-client", "gcv-dev/webhook-shared-secret"]);
    for (const s of secrets) expect(s.kms_key_id).toMatch(/aws_kms_key/);
    expect(synthesized).not.toHaveResource(SecretsmanagerSecretVersion);
    expect(synthesized).toHaveResource(SecretsmanagerSecret);
  });
});

describe("alarm topic", () => {
  test("is encrypted and only this account's CloudWatch may publish, over TLS", () => {
    expect(synthesized).toHaveResourceWithProperties(SnsTopic, { name: "gcv-dev-alarms", kms_master_key_id: expect.stringMatching(/aws_kms_key/) });
    const policy = JSON.parse(onlyResource(aws, "aws_sns_topic_policy").policy);
    expect(policy.Statement[0]).toMatchObject({ Principal: { Service: "cloudwatch.amazonaws.com" }, Condition: { StringEquals: { "aws:SourceAccount": "111111111111" } } });
    expect(policy.Statement[1]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
  });
});

describe("provider", () => {
  test("refuses any account but the environment's own and tags everything", () => {
    const provider = aws.provider!.aws[0];
    expect(provider.allowed_account_ids).toEqual(["111111111111"]);
    expect(provider.default_tags[0].tags).toMatchObject({ environment: "dev", "managed-by": "cdktf" });
  });
});
