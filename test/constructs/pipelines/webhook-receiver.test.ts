import { grants, refTo, statementsOfRole } from "../../support/iam";
import { resourcesOf, sampleEnv, synthStacks, type TfJson } from "../../support/synth-app";

const stacks = synthStacks([sampleEnv("dev")]);
const aws: TfJson = stacks["dev-aws"];
const only = (type: string) => {
  const all = Object.values(resourcesOf(aws, type)) as any[];
  expect(all).toHaveLength(1);
  return all[0];
};

describe("webhook receiver", () => {
  test("an HTTP API with the one route POST /genesys/events, proxying to the receiver (payload 2.0)", () => {
    expect(only("aws_apigatewayv2_api")).toMatchObject({ protocol_type: "HTTP", name: "gcv-dev-webhook" });
    expect(only("aws_apigatewayv2_route").route_key).toBe("POST /genesys/events");
    expect(only("aws_apigatewayv2_integration")).toMatchObject({
      integration_type: "AWS_PROXY",
      payload_format_version: "2.0",
      integration_uri: refTo(aws, "aws_lambda_function", (f) => f.function_name === "gcv-dev-webhook-receiver", "invoke_arn"),
    });
  });

  test("the stage is throttled and access-logged to an encrypted log group, without headers", () => {
    const stage = only("aws_apigatewayv2_stage");
    expect(stage.default_route_settings).toMatchObject({ throttling_rate_limit: 10, throttling_burst_limit: 20 });
    expect(stage.access_log_settings.destination_arn).toBe(refTo(aws, "aws_cloudwatch_log_group", (g) => g.name === "/aws/apigateway/gcv-dev-webhook", "arn"));
    expect(stage.access_log_settings.format).not.toMatch(/header/i);
  });

  test("only this API's route may invoke the receiver", () => {
    const permissions = (Object.values(resourcesOf(aws, "aws_lambda_permission")) as any[]).filter((p) => String(p.function_name).includes("webhook_receiver"));
    expect(permissions).toHaveLength(1);
    expect(permissions[0]).toMatchObject({
      principal: "apigateway.amazonaws.com",
      source_arn: `${refTo(aws, "aws_apigatewayv2_api", () => true, "execution_arn")}/*/POST/genesys/events`,
    });
  });

  test("the shared secret is referenced by ARN, never given as a value", () => {
    const vars = (Object.values(resourcesOf(aws, "aws_lambda_function")).find((f: any) => f.function_name === "gcv-dev-webhook-receiver") as any).environment.variables;
    expect(vars.WEBHOOK_SECRET_ARN).toBe(refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/webhook-shared-secret", "arn"));
    expect(vars.WEBHOOK_SECRET_HEADER).toBe("x-genesys-webhook-secret");
    expect(Object.keys(vars).filter((k) => /SECRET/.test(k)).sort()).toEqual(["WEBHOOK_SECRET_ARN", "WEBHOOK_SECRET_HEADER"]);
    expect(Number(vars.WEBHOOK_CLAIM_LEASE_SECONDS)).toBeGreaterThan(10);
  });

  test("IAM: its secret, its state table, DescribeTable and UpdateTable on the configured tables only, their consumption metrics, the key and its logs", () => {
    const key = refTo(aws, "aws_kms_key", () => true, "arn");
    const state = refTo(aws, "aws_dynamodb_table", (t) => t.name === "gcv-dev-webhook-state", "arn");
    const logs = refTo(aws, "aws_cloudwatch_log_group", (g) => g.name === "/aws/lambda/gcv-dev-webhook-receiver", "arn");
    const orders = "arn:aws:dynamodb:eu-west-1:111111111111:table/contact-center-orders-dev";
    expect(grants(statementsOfRole(aws, "gcv-dev-webhook-receiver"))).toEqual(
      [
        `Allow logs:CreateLogStream on ${logs}:*`,
        `Allow logs:PutLogEvents on ${logs}:*`,
        `Allow kms:Decrypt on ${key}`,
        `Allow kms:GenerateDataKey on ${key}`,
        `Allow secretsmanager:GetSecretValue on ${refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/webhook-shared-secret", "arn")}`,
        `Allow dynamodb:GetItem on ${state}`,
        `Allow dynamodb:UpdateItem on ${state}`,
        `Allow dynamodb:DescribeTable on ${orders}`,
        `Allow dynamodb:UpdateTable on ${orders}`,
        "Allow cloudwatch:GetMetricData on *",
      ].sort(),
    );
  });

  test("capacity needs no Application Auto Scaling: no scalable targets, no application-autoscaling or CloudWatch alarm permission", () => {
    const actions = statementsOfRole(aws, "gcv-dev-webhook-receiver").flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => /^application-autoscaling:|^cloudwatch:(PutMetricAlarm|DescribeAlarms|DeleteAlarms)$/.test(a))).toEqual([]);
    expect(resourcesOf(aws, "aws_appautoscaling_target")).toEqual({});
  });

  test("the only Resource \"*\" is cloudwatch:GetMetricData, which has no resource type", () => {
    const wildcard = statementsOfRole(aws, "gcv-dev-webhook-receiver").filter((s) => [s.Resource].flat().includes("*"));
    expect(wildcard.map((s) => [s.Action].flat())).toEqual([["cloudwatch:GetMetricData"]]);
  });

  test("the receiver calls only AWS, so it is not placed in the VPC", () => {
    const fn = Object.values(resourcesOf(aws, "aws_lambda_function")).find((f: any) => f.function_name === "gcv-dev-webhook-receiver") as any;
    expect(fn.vpc_config).toBeUndefined();
  });

  test("5xx answers and receiver errors raise alarms; the URL is an output", () => {
    const names = Object.values(resourcesOf(aws, "aws_cloudwatch_metric_alarm")).map((a: any) => a.alarm_name);
    expect(names).toEqual(expect.arrayContaining(["gcv-dev-webhook-5xx", "gcv-dev-webhook-receiver-errors"]));
    expect(aws.output!.webhook_url.value).toMatch(/aws_apigatewayv2_api\.[\w-]+\.api_endpoint\}\/genesys\/events$/);
  });
});
