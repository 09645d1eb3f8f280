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
import { grants, refTo, statementsOfRole } from "../support/iam";
import { onlyResource, resourcesOf, sampleEnv, synthEnvironments, synthStacks } from "../support/synth-app";

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

  test("EventBridge and CloudWatch alarms may use it only for this account's and region's buses, rules and alarms (aws:SourceArn)", () => {
    const policy = JSON.parse(onlyResource(aws, "aws_kms_key").policy);
    const of = (service: string) => policy.Statement.find((s: any) => s.Principal?.Service === service).Condition;
    expect(of("events.amazonaws.com")).toEqual({
      StringEquals: { "aws:SourceAccount": "111111111111" },
      ArnLike: { "aws:SourceArn": "arn:aws:events:eu-west-1:111111111111:*" },
    });
    expect(of("cloudwatch.amazonaws.com")).toEqual({
      StringEquals: { "aws:SourceAccount": "111111111111" },
      ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:*" },
    });
    // CloudWatch Logs is bound to this account's log groups through the encryption context.
    expect(of("logs.eu-west-1.amazonaws.com")).toEqual({ ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111111111111:log-group:*" } });
  });

  test("every role's grant on the key is usable only through the AWS services that encrypt for it (kms:ViaService)", () => {
    const key = refTo(aws, "aws_kms_key", () => true, "arn");
    const grants = Object.values(resourcesOf(aws, "aws_iam_role_policy")).flatMap((p: any) =>
      (JSON.parse(p.policy).Statement as any[]).filter((st) => st.Resource === key).map((st) => ({ role: p.role, ...st })),
    );
    expect(grants.length).toBeGreaterThan(10);
    for (const grant of grants) {
      expect([grant.Sid, [grant.Action].flat().every((a: string) => a.startsWith("kms:"))]).toEqual([grant.Sid, true]);
      const via: string[] = grant.Condition?.StringEquals?.["kms:ViaService"] ?? [];
      expect([grant.Sid, via.length > 0 && via.every((v) => /^(lambda|secretsmanager|dynamodb|sqs|states)\.eu-west-1\.amazonaws\.com$/.test(v))]).toEqual([grant.Sid, true]);
    }
    const viaOf = (sid: string) => [...new Set(grants.filter((g) => g.Sid === sid).flatMap((g) => g.Condition.StringEquals["kms:ViaService"]))].sort();
    expect(viaOf("DecryptOwnConfiguration")).toEqual(["dynamodb.eu-west-1.amazonaws.com", "lambda.eu-west-1.amazonaws.com", "secretsmanager.eu-west-1.amazonaws.com"]);
    expect(viaOf("DecryptQueueMessages")).toEqual(["sqs.eu-west-1.amazonaws.com"]);
    expect(viaOf("EncryptBackfills")).toEqual(["sqs.eu-west-1.amazonaws.com"]);
    expect(viaOf("EncryptExecutionInputAndMessages")).toEqual(["sqs.eu-west-1.amazonaws.com", "states.eu-west-1.amazonaws.com"]);
    expect(viaOf("UseTheEnvironmentKey")).toEqual(["sqs.eu-west-1.amazonaws.com", "states.eu-west-1.amazonaws.com"]);
  });
});

describe("network", () => {
  test("public and private subnets per AZ with non-overlapping literal CIDRs", () => {
    expect(planSubnets("10.40.0.0/20", ["eu-west-1a", "eu-west-1b"])).toEqual([
      { az: "eu-west-1a", publicCidr: "10.40.0.0/24", privateCidr: "10.40.8.0/24" },
      { az: "eu-west-1b", publicCidr: "10.40.1.0/24", privateCidr: "10.40.9.0/24" },
    ]);
    const cidrs = Object.values(resourcesOf(aws, "aws_subnet")).map((s: any) => s.cidr_block);
    expect(cidrs.sort()).toEqual(["10.40.0.0/24", "10.40.1.0/24", "10.40.8.0/24", "10.40.9.0/24"]);
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
    const withEndpoints = synthStacks([sampleEnv("dev", { aws: { interfaceEndpoints: ["secretsmanager", "states"] } })])["dev-aws"];
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
    const prod = synthStacks([sampleEnv("prod")])["prod-aws"];
    const tables = Object.values(resourcesOf(prod, "aws_dynamodb_table")) as any[];
    expect(tables.map((t) => t.name).sort()).toEqual(["gcv-prod-config-sync-audit", "gcv-prod-idempotency", "gcv-prod-interaction-slots", "gcv-prod-webhook-state"]);
    for (const t of tables) expect(t.deletion_protection_enabled).toBe(true);
  });
});

describe("secrets", () => {
  test("every secret is encrypted with the environment key and has no value in the AWS stack", () => {
    const secrets = Object.values(resourcesOf(aws, "aws_secretsmanager_secret")) as any[];
    expect(secrets.map((s) => s.name).sort()).toEqual([
      "gcv-dev/azure-vault-lister",
      "gcv-dev/azure-vault-writer",
      "gcv-dev/genesys-config-sync",
      "gcv-dev/genesys-interaction",
      "gcv-dev/genesys-transcript-vault",
      "gcv-dev/webhook-shared-secret",
    ]);
    for (const s of secrets) expect(s.kms_key_id).toMatch(/aws_kms_key/);
    expect(synthesized).not.toHaveResource(SecretsmanagerSecretVersion);
    expect(synthesized).toHaveResource(SecretsmanagerSecret);
  });
});

describe("the list-only credential's secret exists only where something reads it", () => {
  const listerOf = (overrides: Parameters<typeof sampleEnv>[1]) => {
    const stacks = synthStacks([sampleEnv("dev", overrides)]);
    const devAws = stacks["dev-aws"]!;
    const lister = Object.values(resourcesOf(devAws, "aws_secretsmanager_secret")).filter((s: any) => s.name === "gcv-dev/azure-vault-lister");
    const archiver = Object.values(resourcesOf(devAws, "aws_lambda_function")).find((f: any) => f.function_name === "gcv-dev-transcript-archiver") as any;
    return { devAws, devAzure: stacks["dev-azure"]!, lister, archiverLister: archiver.environment.variables.AZURE_VAULT_LISTER_SECRET_ARN };
  };
  const noReconciler = { pipelines: { transcriptVault: { reconciler: { enabled: false } } } } as const;

  test("federated without the reconciler: no lister secret, no output, and the archiver lists with its own identity", () => {
    const { devAws, devAzure, lister, archiverLister } = listerOf(noReconciler);
    expect(lister).toHaveLength(0);
    expect(devAws.output?.vault_lister_secret_arn).toBeUndefined();
    expect(archiverLister).toBe(refTo(devAws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/azure-vault-writer", "arn"));
    expect(JSON.stringify(devAzure)).not.toMatch(/vault-lister-secret/); // nothing delivered there
    expect(Object.keys(devAws.output ?? {}).filter((name) => name.includes("lister"))).toEqual([]);
  });

  test("sas mode keeps it without the reconciler: the archiver lists with the List-only SAS", () => {
    const { devAws, lister, archiverLister } = listerOf({ ...noReconciler, azure: { writerAuth: "sas" } });
    expect(lister).toHaveLength(1);
    expect(archiverLister).toBe(refTo(devAws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/azure-vault-lister", "arn"));
  });
});

describe("one Genesys OAuth client per pipeline", () => {
  const functions = Object.values(resourcesOf(aws, "aws_lambda_function")) as any[];
  const genesysSecrets = Object.entries(resourcesOf(aws, "aws_secretsmanager_secret")).filter(([, s]: any) => s.name.startsWith("gcv-dev/genesys-"));
  const callers = functions.filter((f) => f.environment?.variables?.GENESYS_SECRET_ARN);

  test("each function that calls Genesys has its own secret, named for its pipeline", () => {
    const secretOf = Object.fromEntries(callers.map((f) => [f.function_name, genesysSecrets.find(([id]) => f.environment.variables.GENESYS_SECRET_ARN === `\${aws_secretsmanager_secret.${id}.arn}`)?.[1].name]));
    expect(secretOf).toEqual({
      "gcv-dev-transcript-archiver": "gcv-dev/genesys-transcript-vault",
      "gcv-dev-vault-reconciler": "gcv-dev/genesys-transcript-vault",
      "gcv-dev-interaction-processor": "gcv-dev/genesys-interaction",
      "gcv-dev-config-sync": "gcv-dev/genesys-config-sync",
    });
  });

  test("no function may read another pipeline's Genesys secret (the archiver cannot act as config sync)", () => {
    for (const f of functions) {
      const readable = grants(statementsOfRole(aws, f.function_name))
        .filter((g) => g.startsWith("Allow secretsmanager:GetSecretValue"))
        .flatMap((g) => genesysSecrets.filter(([id]) => g.endsWith(`\${aws_secretsmanager_secret.${id}.arn}`)).map(([, s]: any) => s.name));
      expect(readable).toEqual(f.environment?.variables?.GENESYS_SECRET_ARN ? [expect.stringMatching(/^gcv-dev\/genesys-/)] : []);
    }
  });
});

describe("secret resource policies", () => {
  const secretArn = (name: string) => refTo(aws, "aws_secretsmanager_secret", (x) => x.name === name, "arn");
  const roleArn = (name: string) => refTo(aws, "aws_iam_role", (r) => r.name === name, "arn");
  const policyOf = (name: string) => {
    const found = Object.values(resourcesOf(aws, "aws_secretsmanager_secret_policy")).filter((p: any) => p.secret_arn === secretArn(name)) as any[];
    expect(found).toHaveLength(1);
    expect(found[0].block_public_policy).toBe(true);
    return JSON.parse(found[0].policy).Statement as any[];
  };

  test("every secret has one", () => {
    const secrets = Object.values(resourcesOf(aws, "aws_secretsmanager_secret")).map((x: any) => x.name);
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    for (const name of secrets) expect(policyOf(name).length).toBeGreaterThan(0);
  });

  test("each denies every principal but the roles granted to read it, the deployer and the plan role, and lets its readers only read", () => {
    const deployer = "arn:aws:iam::111111111111:role/gcv-deploy";
    const planner = "arn:aws:iam::111111111111:role/gcv-plan";
    const expected: Record<string, string[]> = {
      // The reconciler queries analytics with the transcript vault pipeline's client.
      "gcv-dev/genesys-transcript-vault": ["gcv-dev-transcript-archiver", "gcv-dev-vault-reconciler"],
      "gcv-dev/genesys-interaction": ["gcv-dev-interaction-processor"],
      "gcv-dev/genesys-config-sync": ["gcv-dev-config-sync"],
      "gcv-dev/azure-vault-writer": ["gcv-dev-transcript-archiver"],
      // Federated: the reconciler's list-only identity; the archiver lists with its own.
      "gcv-dev/azure-vault-lister": ["gcv-dev-vault-reconciler"],
      "gcv-dev/webhook-shared-secret": ["gcv-dev-webhook-receiver"],
    };
    for (const [name, readerNames] of Object.entries(expected)) {
      const readers = readerNames.map(roleArn).sort();
      const [others, , readersOnlyRead] = policyOf(name);
      expect(others).toEqual({
        Sid: "OnlyReadersDeployersAndPlanners",
        Effect: "Deny",
        Principal: "*",
        Action: "secretsmanager:*",
        Resource: "*",
        Condition: { ArnNotEquals: { "aws:PrincipalArn": [...readers, deployer, planner] } },
      });
      expect(readersOnlyRead).toMatchObject({
        Effect: "Deny",
        NotAction: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Condition: { ArnEquals: { "aws:PrincipalArn": readers } },
      });
    }
  });
});

describe("secret resource policies and the plan role", () => {
  const planner = "arn:aws:iam::111111111111:role/gcv-plan";
  const planStatement = (name: string) => {
    const secretArn = refTo(aws, "aws_secretsmanager_secret", (x) => x.name === name, "arn");
    const policy = Object.values(resourcesOf(aws, "aws_secretsmanager_secret_policy")).find((p: any) => p.secret_arn === secretArn) as any;
    return (JSON.parse(policy.policy).Statement as any[]).find((st) => st.Condition?.ArnEquals?.["aws:PrincipalArn"]?.includes(planner));
  };

  test("the plan role may refresh every secret (DescribeSecret, GetResourcePolicy) and read no Genesys or webhook secret value", () => {
    for (const name of ["gcv-dev/genesys-transcript-vault", "gcv-dev/genesys-interaction", "gcv-dev/genesys-config-sync", "gcv-dev/webhook-shared-secret"]) {
      expect({ name, st: planStatement(name) }).toEqual({
        name,
        st: {
          Sid: "PlannersReadMetadataOnly",
          Effect: "Deny",
          Principal: "*",
          NotAction: ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"],
          Resource: "*",
          Condition: { ArnEquals: { "aws:PrincipalArn": [planner] } },
        },
      });
    }
  });

  test("only the vault coordinates secrets, which <env>-azure writes as secret versions, let the plan role refresh their value", () => {
    for (const name of ["gcv-dev/azure-vault-writer", "gcv-dev/azure-vault-lister"]) {
      expect(planStatement(name)).toMatchObject({
        Sid: "PlannersRefreshOnly",
        NotAction: ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:GetSecretValue"],
      });
    }
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
