import { interactionMaxReceiveCount } from "../../../functions/shared/interaction-backpressure";
import { interactionStateMachineDefinition } from "../../../constructs/interaction/state-machine-definition";
import { validateAsl } from "../../support/asl";
import { grants, refTo, statementsOfRole } from "../../support/iam";
import { resourcesOf, sampleEnv, synthStacks, type TfJson } from "../../support/synth-app";

const stacks = synthStacks([sampleEnv("dev")]);
const aws: TfJson = stacks["dev-aws"];
const byName = (type: string, name: string) => Object.values(resourcesOf(aws, type)).find((r: any) => r.name === name || r.function_name === name || r.alarm_name === name) as any;
const key = refTo(aws, "aws_kms_key", () => true, "arn");
const stateMachineArn = refTo(aws, "aws_sfn_state_machine", () => true, "arn");
const processorArn = refTo(aws, "aws_lambda_function", (f) => f.function_name === "gcv-dev-interaction-processor", "arn");
const failureQueueArn = refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-interaction-failures", "arn");
const slotsArn = refTo(aws, "aws_dynamodb_table", (t) => t.name === "gcv-dev-interaction-slots", "arn");
const logArn = (fn: string) => refTo(aws, "aws_cloudwatch_log_group", (g) => g.name === `/aws/lambda/${fn}`, "arn");

describe("interaction processing pipeline", () => {
  test("a rule matches the configured lifecycle topics and buffers them in an encrypted queue with a DLQ", () => {
    expect(JSON.parse(byName("aws_cloudwatch_event_rule", "gcv-dev-interaction").event_pattern)["detail-type"]).toEqual([
      "v2.detail.events.conversation.{id}.customer.start",
      "v2.detail.events.conversation.{id}.acd.end",
      "v2.detail.events.conversation.{id}.user.end",
      "v2.detail.events.conversation.{id}.wrapup",
    ]);
    const q = byName("aws_sqs_queue", "gcv-dev-interaction");
    expect(q.kms_master_key_id).toBe(key);
    // Raised from the configured 5 so that an event waiting for a slot reaches the DLQ only after the 24 h maximum age.
    expect(JSON.parse(q.redrive_policy).maxReceiveCount).toBe(interactionMaxReceiveCount(86_400, 5));
    expect(JSON.parse(q.redrive_policy).maxReceiveCount).toBeLessThanOrEqual(1000);
    expect(q.visibility_timeout_seconds).toBe(180);
  });

  test("ended executions (FAILED, TIMED_OUT, ABORTED) of this workflow come back into the same queue, through their own rule", () => {
    const rule = byName("aws_cloudwatch_event_rule", "gcv-dev-interaction-ended-executions");
    expect(rule.event_bus_name).toBeUndefined();
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: ["aws.states"],
      "detail-type": ["Step Functions Execution Status Change"],
      detail: { stateMachineArn: ["arn:aws:states:eu-west-1:111111111111:stateMachine:gcv-dev-interaction-workflow"], status: ["FAILED", "TIMED_OUT", "ABORTED"] },
    });
    expect(Object.values(resourcesOf(aws, "aws_sfn_state_machine"))[0]).toMatchObject({ name: "gcv-dev-interaction-workflow" });
    const queuePolicy = Object.values(resourcesOf(aws, "aws_sqs_queue_policy")).find((p: any) => p.queue_url.includes("interaction_intake_buffer_queue")) as any;
    expect(queuePolicy.policy).toContain(refTo(aws, "aws_cloudwatch_event_rule", (r) => r.name === "gcv-dev-interaction-ended-executions", "arn"));
  });

  test("the slot table is encrypted with the environment key; failed sinks and unreleased slots are alarmed", () => {
    expect(byName("aws_dynamodb_table", "gcv-dev-interaction-slots")).toMatchObject({
      hash_key: "pool",
      range_key: "slot",
      billing_mode: "PAY_PER_REQUEST",
      server_side_encryption: { enabled: true, kms_key_arn: key },
    });
    for (const error of ["FailureQueueUnavailable", "SlotNotReleased"]) {
      const filter = Object.values(resourcesOf(aws, "aws_cloudwatch_log_metric_filter")).find((f: any) => f.pattern.includes(error)) as any;
      expect(filter.log_group_name).toContain("interaction_execution-logs");
      expect(Object.values(resourcesOf(aws, "aws_cloudwatch_metric_alarm")).some((a: any) => a.metric_name === filter.metric_transformation.name)).toBe(true);
    }
  });

  test("the dispatcher consumes with partial batch responses and maximum_concurrency from config", () => {
    const mapping = Object.values(resourcesOf(aws, "aws_lambda_event_source_mapping")).find((m: any) => m.function_name.includes("dispatcher")) as any;
    expect(mapping).toMatchObject({ function_response_types: ["ReportBatchItemFailures"], scaling_config: { maximum_concurrency: 2 } });
  });

  test("the state machine is a STANDARD workflow with valid ASL, encrypted, logging to an encrypted log group", () => {
    const sm = Object.values(resourcesOf(aws, "aws_sfn_state_machine"))[0] as any;
    expect(sm.type).toBe("STANDARD");
    expect(sm.encryption_configuration).toMatchObject({ type: "CUSTOMER_MANAGED_KMS_KEY", kms_key_id: key });
    const logGroup = byName("aws_cloudwatch_log_group", "/aws/vendedlogs/states/gcv-dev-interaction");
    expect(logGroup).toMatchObject({ kms_key_id: key, retention_in_days: 14 });
    // Execution data is the interaction event: it stays out of the logs (the failure queue keeps failed events).
    expect(sm.logging_configuration).toMatchObject({ level: "ERROR", include_execution_data: false });
    expect(sm.logging_configuration.log_destination).toBe(`${refTo(aws, "aws_cloudwatch_log_group", (g) => g.name === "/aws/vendedlogs/states/gcv-dev-interaction", "arn")}:*`);
    const definition = JSON.parse(sm.definition);
    expect(validateAsl(definition)).toEqual([]);
    // Exactly what the workflow tests run (test/support/interaction-pipeline.ts builds it with the same function).
    expect(JSON.parse(sm.definition)).toEqual(
      JSON.parse(
        JSON.stringify(
          interactionStateMachineDefinition({
            processorFunctionArn: processorArn,
            failureQueueUrl: refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-interaction-failures", "url"),
            slotsTableName: refTo(aws, "aws_dynamodb_table", (t) => t.name === "gcv-dev-interaction-slots", "name"),
            taskTimeoutSeconds: 60,
            maxEventAgeSeconds: 86_400,
          }),
        ),
      ),
    );
  });

  test("the dispatcher may only start executions of this state machine (and describe it, for its self-test)", () => {
    expect(grants(statementsOfRole(aws, "gcv-dev-interaction-dispatcher"))).toEqual(
      [
        `Allow logs:CreateLogStream on ${logArn("gcv-dev-interaction-dispatcher")}:*`,
        `Allow logs:PutLogEvents on ${logArn("gcv-dev-interaction-dispatcher")}:*`,
        `Allow kms:Decrypt on ${key}`,
        `Allow kms:Decrypt on ${key}`,
        `Allow kms:GenerateDataKey on ${key}`,
        `Allow states:StartExecution on ${stateMachineArn}`,
        `Allow states:DescribeStateMachine on ${stateMachineArn}`,
        `Allow dynamodb:Query on ${slotsArn}`,
        `Allow dynamodb:UpdateItem on ${slotsArn}`,
        `Allow sqs:SendMessage on ${failureQueueArn}`,
        `Allow sqs:SendMessage on ${refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-interaction-dlq", "arn")}`,
        `Allow sqs:ReceiveMessage on ${refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-interaction", "arn")}`,
        `Allow sqs:DeleteMessage on ${refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-interaction", "arn")}`,
        `Allow sqs:ChangeMessageVisibility on ${refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-interaction", "arn")}`,
        `Allow sqs:GetQueueAttributes on ${refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-interaction", "arn")}`,
      ].sort(),
    );
  });

  test("the state machine may invoke only the processor and send only to the failure queue", () => {
    const g = grants(statementsOfRole(aws, "gcv-dev-interaction-workflow"));
    expect(g.filter((x) => x.includes("lambda:"))).toEqual([`Allow lambda:InvokeFunction on ${processorArn}`, `Allow lambda:InvokeFunction on ${processorArn}:*`]);
    expect(g.filter((x) => x.includes("sqs:"))).toEqual([`Allow sqs:SendMessage on ${failureQueueArn}`]);
    expect(g.filter((x) => x.includes("kms:"))).toEqual([`Allow kms:Decrypt on ${key}`, `Allow kms:GenerateDataKey on ${key}`]);
    expect(g.filter((x) => x.includes("dynamodb:"))).toEqual([`Allow dynamodb:UpdateItem on ${slotsArn}`]);
    // The rest is CloudWatch Logs delivery, which AWS only grants on "*".
    expect(g.filter((x) => !/lambda:|sqs:|kms:|dynamodb:/.test(x)).every((x) => /^Allow logs:\w+ on \*$/.test(x))).toBe(true);
  });

  test("the processor may read its secret and use the idempotency table, nothing else but its logs and VPC ENIs", () => {
    const table = refTo(aws, "aws_dynamodb_table", (t) => t.name === "gcv-dev-idempotency", "arn");
    const g = grants(statementsOfRole(aws, "gcv-dev-interaction-processor"));
    expect(g).toEqual(
      [
        `Allow logs:CreateLogStream on ${logArn("gcv-dev-interaction-processor")}:*`,
        `Allow logs:PutLogEvents on ${logArn("gcv-dev-interaction-processor")}:*`,
        `Allow kms:Decrypt on ${key}`,
        `Allow kms:GenerateDataKey on ${key}`,
        `Allow secretsmanager:GetSecretValue on ${refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/genesys-interaction", "arn")}`,
        `Allow dynamodb:GetItem on ${table}`,
        `Allow dynamodb:PutItem on ${table}`,
        `Allow dynamodb:UpdateItem on ${table}`,
        `Allow dynamodb:DeleteItem on ${table}`,
        "Allow ec2:CreateNetworkInterface on *",
        "Allow ec2:DescribeNetworkInterfaces on *",
        "Allow ec2:DeleteNetworkInterface on *",
        "Allow ec2:AssignPrivateIpAddresses on *",
        "Allow ec2:UnassignPrivateIpAddresses on *",
      ].sort(),
    );
  });

  test("the processor runs in the private subnets; the dispatcher, which calls only AWS, does not", () => {
    expect(byName("aws_lambda_function", "gcv-dev-interaction-processor").vpc_config).toBeDefined();
    expect(byName("aws_lambda_function", "gcv-dev-interaction-dispatcher").vpc_config).toBeUndefined();
  });

  test("alarms on failed executions and on the failure queue notify the alarm topic", () => {
    const topic = refTo(aws, "aws_sns_topic", () => true, "arn");
    const failed = byName("aws_cloudwatch_metric_alarm", "gcv-dev-interaction-executions-failed");
    expect(failed).toMatchObject({ namespace: "AWS/States", metric_name: "ExecutionsFailed", alarm_actions: [topic], dimensions: { StateMachineArn: stateMachineArn } });
    expect(byName("aws_cloudwatch_metric_alarm", "gcv-dev-interaction-failures-not-empty").alarm_actions).toEqual([topic]);
    expect(byName("aws_sqs_queue", "gcv-dev-interaction-failures").kms_master_key_id).toBe(key);
  });
});
