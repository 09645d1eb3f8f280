import { messageGroupIdOf } from "../../../functions/shared/sync-rules";
import { grants, refTo, statementsOfRole } from "../../support/iam";
import { resourcesOf, sampleEnv, synthStacks, type TfJson } from "../../support/synth-app";

const twoTargets = sampleEnv("dev", {
  pipelines: {
    configSync: {
      rules: [
        { name: "messaging", source: { autoScalingGroupName: "backend" }, target: { kind: "orgUtilization", mediaType: "message", field: "maximumCapacity" }, perInstance: 2, min: 1, max: 10 },
        { name: "chat", source: { autoScalingGroupName: "backend" }, target: { kind: "orgUtilization", mediaType: "chat", field: "maximumCapacity" }, perInstance: 1, min: 1, max: 5 },
        { name: "queue-acw", source: { autoScalingGroupName: "frontend" }, target: { kind: "queueField", queueId: "q-1", field: "acwSettings.timeoutMs" }, perInstance: 1000, min: 10000, max: 60000 },
      ] as any,
    },
  },
});
const stacks = synthStacks([twoTargets]);
const aws: TfJson = stacks["dev-aws"];
const rules = Object.values(resourcesOf(aws, "aws_cloudwatch_event_rule")).filter((r: any) => r.name.startsWith("gcv-dev-sync-")) as any[];
const targets = Object.values(resourcesOf(aws, "aws_cloudwatch_event_target")) as any[];
const fifoArn = refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-config-sync.fifo", "arn");
const targetOf = (rule: any) => targets.find((t) => t.rule === refTo(aws, "aws_cloudwatch_event_rule", (r) => r.name === rule.name, "name"));

describe("configuration sync pipeline", () => {
  test("feeds a FIFO queue with content-based deduplication and a FIFO DLQ, both encrypted", () => {
    const q = Object.values(resourcesOf(aws, "aws_sqs_queue")).find((x: any) => x.name === "gcv-dev-config-sync.fifo") as any;
    expect(q).toMatchObject({ fifo_queue: true, content_based_deduplication: true, kms_master_key_id: expect.stringMatching(/aws_kms_key/) });
    expect(JSON.parse(q.redrive_policy).deadLetterTargetArn).toBe(refTo(aws, "aws_sqs_queue", (x) => x.name === "gcv-dev-config-sync-dlq.fifo", "arn"));
  });

  test("deduplicates per message group, so one scaling event routed to two Genesys objects reaches both", () => {
    // backend drives utilization-org; frontend drives queue-q-1. When one group drives two objects, EventBridge
    // sends byte-identical bodies to two message groups: a queue-wide scope would drop the second.
    const q = Object.values(resourcesOf(aws, "aws_sqs_queue")).find((x: any) => x.name === "gcv-dev-config-sync.fifo") as any;
    expect(q).toMatchObject({ deduplication_scope: "messageGroup", fifo_throughput_limit: "perMessageGroupId" });
  });

  test("one Auto Scaling route per (group, Genesys object), each with that object's message group", () => {
    const scaling = rules.filter((r) => r.event_pattern);
    const routed = scaling.map((r) => {
      const p = JSON.parse(r.event_pattern);
      expect(p.source).toEqual(["aws.autoscaling"]);
      expect(p["detail-type"]).toEqual(["EC2 Instance Launch Successful", "EC2 Instance Terminate Successful"]);
      expect(r.event_bus_name).toBeUndefined(); // the default bus
      return `${p.detail.AutoScalingGroupName[0]} -> ${targetOf(r).sqs_target.message_group_id}`;
    });
    // messaging and chat are both org utilization: one object, one group, one route.
    expect(routed.sort()).toEqual(["backend -> utilization-org", "frontend -> queue-q-1"]);
  });

  test("one reconciliation schedule per Genesys object, so drift repair never races a scaling update", () => {
    const schedules = rules.filter((r) => r.schedule_expression);
    expect(schedules.map((r) => r.schedule_expression)).toEqual(["rate(15 minutes)", "rate(15 minutes)"]);
    expect(schedules.map((r) => targetOf(r).sqs_target.message_group_id).sort()).toEqual(
      [messageGroupIdOf({ kind: "queueField", queueId: "q-1", field: "acwSettings.timeoutMs" }), "utilization-org"].sort(),
    );
  });

  test("every route targets the FIFO queue with a retry policy and its own delivery DLQ", () => {
    for (const r of rules) {
      const t = targetOf(r);
      expect(t.arn).toBe(fifoArn);
      expect(t.retry_policy).toEqual({ maximum_event_age_in_seconds: 86400, maximum_retry_attempts: 185 });
      expect(t.dead_letter_config.arn).toMatch(/aws_sqs_queue\./);
    }
  });

  test("the queue admits exactly these rules", () => {
    const url = refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-config-sync.fifo", "url");
    const policy = Object.values(resourcesOf(aws, "aws_sqs_queue_policy")).find((p: any) => p.queue_url === url) as any;
    const admitted = JSON.parse(policy.policy).Statement[0].Condition.ArnEquals["aws:SourceArn"];
    expect(admitted.sort()).toEqual(rules.map((r) => refTo(aws, "aws_cloudwatch_event_rule", (x) => x.name === r.name, "arn")).sort());
  });

  test("the consumer takes FIFO batches (no batching window) with partial batch responses", () => {
    const m = Object.values(resourcesOf(aws, "aws_lambda_event_source_mapping")).find((x: any) => x.function_name.includes("config-sync")) as any;
    expect(m).toMatchObject({ function_response_types: ["ReportBatchItemFailures"], batch_size: 10, scaling_config: { maximum_concurrency: 2 } });
    expect(m.maximum_batching_window_in_seconds).toBeUndefined();
  });

  test("the function gets the rules, the audit table and dry-run as configuration, and runs in the VPC", () => {
    const fn = Object.values(resourcesOf(aws, "aws_lambda_function")).find((f: any) => f.function_name === "gcv-dev-config-sync") as any;
    expect(JSON.parse(fn.environment.variables.SYNC_RULES)).toHaveLength(3);
    expect(fn.environment.variables.DRY_RUN).toBe("false");
    expect(fn.environment.variables.AUDIT_TABLE_NAME).toMatch(/aws_dynamodb_table\./);
    expect(fn.vpc_config).toBeDefined();
  });

  test("the audit table is keyed by target field and change id, encrypted, with point-in-time recovery", () => {
    const t = Object.values(resourcesOf(aws, "aws_dynamodb_table")).find((x: any) => x.name === "gcv-dev-config-sync-audit") as any;
    expect(t).toMatchObject({ hash_key: "targetField", range_key: "changeId", point_in_time_recovery: { enabled: true }, server_side_encryption: { enabled: true } });
  });

  test("IAM: exactly its queue, the Genesys secret, the audit table, the key, its logs, Auto Scaling describe and VPC ENIs", () => {
    const key = refTo(aws, "aws_kms_key", () => true, "arn");
    const audit = refTo(aws, "aws_dynamodb_table", (t) => t.name === "gcv-dev-config-sync-audit", "arn");
    const logs = refTo(aws, "aws_cloudwatch_log_group", (g) => g.name === "/aws/lambda/gcv-dev-config-sync", "arn");
    expect(grants(statementsOfRole(aws, "gcv-dev-config-sync"))).toEqual(
      [
        `Allow logs:CreateLogStream on ${logs}:*`,
        `Allow logs:PutLogEvents on ${logs}:*`,
        `Allow kms:Decrypt on ${key}`,
        `Allow kms:Decrypt on ${key}`,
        `Allow kms:GenerateDataKey on ${key}`,
        `Allow secretsmanager:GetSecretValue on ${refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/genesys-config-sync", "arn")}`,
        "Allow autoscaling:DescribeAutoScalingGroups on *",
        ...["GetItem", "PutItem", "UpdateItem", "Query"].map((a) => `Allow dynamodb:${a} on ${audit}`),
        ...["ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes"].map((a) => `Allow sqs:${a} on ${fifoArn}`),
        ...["CreateNetworkInterface", "DescribeNetworkInterfaces", "DeleteNetworkInterface", "AssignPrivateIpAddresses", "UnassignPrivateIpAddresses"].map((a) => `Allow ec2:${a} on *`),
      ].sort(),
    );
  });

  test("an environment without sync rules deploys no sync pipeline", () => {
    const none = synthStacks([sampleEnv("dev", { pipelines: { configSync: { rules: [] } } })])["dev-aws"];
    expect(Object.values(resourcesOf(none, "aws_lambda_function")).map((f: any) => f.function_name)).not.toContain("gcv-dev-config-sync");
  });
});
