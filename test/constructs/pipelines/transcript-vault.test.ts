import { resourcesOf, sampleEnv, synthStacks, type TfJson } from "../../support/synth-app";
import { grants, refTo, statementsOfRole } from "../../support/iam";

const stacks = synthStacks([sampleEnv("dev")]);
const aws: TfJson = stacks["dev-aws"];
const byName = (type: string, name: string) => Object.values(resourcesOf(aws, type)).find((r: any) => r.name === name || r.function_name === name || r.alarm_name === name) as any;
const key = refTo(aws, "aws_kms_key", () => true, "arn");
const queue = byName("aws_sqs_queue", "gcv-dev-transcript-vault");
/** Grants every VPC pipeline function has: its own logs, its configuration key, ENI management. */
const vpcFunctionBasics = (functionName: string) => {
  const logGroup = refTo(aws, "aws_cloudwatch_log_group", (g) => g.name === `/aws/lambda/${functionName}`, "arn");
  return [
    `Allow logs:CreateLogStream on ${logGroup}:*`,
    `Allow logs:PutLogEvents on ${logGroup}:*`,
    `Allow kms:Decrypt on ${key}`,
    "Allow ec2:CreateNetworkInterface on *",
    "Allow ec2:DescribeNetworkInterfaces on *",
    "Allow ec2:DeleteNetworkInterface on *",
    "Allow ec2:AssignPrivateIpAddresses on *",
    "Allow ec2:UnassignPrivateIpAddresses on *",
  ];
};

describe("transcript vault pipeline", () => {
  test("a rule on the partner bus matches the configured transcript topics", () => {
    const rule = byName("aws_cloudwatch_event_rule", "gcv-dev-transcript-vault");
    expect(rule.event_bus_name).toMatch(/aws_cloudwatch_event_bus\.[\w-]+\.name/);
    expect(JSON.parse(rule.event_pattern)).toEqual({
      "detail-type": ["v2.conversations.{id}.transcription", "v2.detail.events.conversation.{id}.customer.end"],
    });
  });

  test("the rule target has its own retry policy and delivery dead-letter queue", () => {
    const target = Object.values(resourcesOf(aws, "aws_cloudwatch_event_target")).find((t: any) => t.rule.includes("transcript-vault")) as any;
    expect(target.retry_policy).toEqual({ maximum_event_age_in_seconds: 86400, maximum_retry_attempts: 185 });
    expect(target.dead_letter_config.arn).toBe(refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-transcript-vault-delivery-dlq", "arn"));
    expect(target.arn).toBe(refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-transcript-vault", "arn"));
  });

  test("the queue is encrypted, redrives to its DLQ and hides messages for 6x the consumer timeout", () => {
    expect(queue.kms_master_key_id).toBe(key);
    expect(queue.visibility_timeout_seconds).toBe(6 * 120);
    expect(JSON.parse(queue.redrive_policy)).toEqual({
      deadLetterTargetArn: refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-transcript-vault-dlq", "arn"),
      maxReceiveCount: 5,
    });
    expect(byName("aws_sqs_queue", "gcv-dev-transcript-vault-dlq").kms_master_key_id).toBe(key);
  });

  test("the queue policy admits only its rule, and only over TLS", () => {
    const queueUrl = refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-transcript-vault", "url");
    const policy = Object.values(resourcesOf(aws, "aws_sqs_queue_policy")).find((p: any) => p.queue_url === queueUrl) as any;
    const [allow, deny] = JSON.parse(policy.policy).Statement;
    expect(allow).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Condition: { ArnEquals: { "aws:SourceArn": [refTo(aws, "aws_cloudwatch_event_rule", (r) => r.name === "gcv-dev-transcript-vault", "arn")] } },
    });
    expect(deny).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
  });

  test("the archiver consumes with partial batch responses and a concurrency cap of 50", () => {
    const mapping = Object.values(resourcesOf(aws, "aws_lambda_event_source_mapping")).find((m: any) => m.function_name.includes("transcript")) as any;
    expect(mapping).toMatchObject({
      function_response_types: ["ReportBatchItemFailures"],
      batch_size: 10,
      maximum_batching_window_in_seconds: 2,
      scaling_config: { maximum_concurrency: 50 },
      event_source_arn: refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-transcript-vault", "arn"),
    });
  });

  test("the archiver runs on nodejs22.x in the private subnets behind the egress-only security group", () => {
    const fn = byName("aws_lambda_function", "gcv-dev-transcript-archiver");
    expect(fn.runtime).toBe("nodejs22.x");
    expect(fn.handler).toBe("index.handler");
    expect(fn.vpc_config.subnet_ids).toEqual(Object.entries(resourcesOf(aws, "aws_subnet")).filter(([, s]: any) => s.tags.tier === "private").map(([id]) => `\${aws_subnet.${id}.id}`));
    expect(fn.vpc_config.security_group_ids).toEqual([refTo(aws, "aws_security_group", (g) => g.name === "gcv-dev-lambda-egress", "id")]);
    expect(fn.filename).toMatch(/^assets\/[\w-]+\/[0-9A-F]+\/transcript-archiver\.zip$/);
  });

  test("the archiver gets secret ARNs, never secret values, in its environment", () => {
    const vars = byName("aws_lambda_function", "gcv-dev-transcript-archiver").environment.variables;
    expect(vars).toEqual({
      POWERTOOLS_SERVICE_NAME: "gcv-dev-transcript-archiver",
      POWERTOOLS_METRICS_NAMESPACE: "GenesysVault/dev",
      GENESYS_REGION_DOMAIN: "mypurecloud.ie",
      GENESYS_SECRET_ARN: refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/genesys-transcript-vault", "arn"),
      AZURE_VAULT_SECRET_ARN: refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/azure-vault-writer", "arn"),
      // Federated: the archiver lists with its own identity (its list-only role assignment).
      AZURE_VAULT_LISTER_SECRET_ARN: refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/azure-vault-writer", "arn"),
      AZURE_VAULT_AUTH: "federated",
      MAX_EVENT_BYTES: "1048576",
      TIME_GUARD_MS: "10000",
    });
  });

  test("the archiver's IAM policy allows exactly its queue, its secrets, its key, its logs, VPC ENI management and Entra-bound web identity tokens", () => {
    const genesysSecret = refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/genesys-transcript-vault", "arn");
    const vaultSecret = refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/azure-vault-writer", "arn");
    const queueArn = refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-transcript-vault", "arn");
    expect(grants(statementsOfRole(aws, "gcv-dev-transcript-archiver"))).toEqual(
      [
        ...vpcFunctionBasics("gcv-dev-transcript-archiver"),
        `Allow kms:Decrypt on ${key}`,
        `Allow secretsmanager:GetSecretValue on ${genesysSecret}`,
        `Allow secretsmanager:GetSecretValue on ${vaultSecret}`,
        `Allow sqs:ReceiveMessage on ${queueArn}`,
        `Allow sqs:DeleteMessage on ${queueArn}`,
        `Allow sqs:ChangeMessageVisibility on ${queueArn}`,
        `Allow sqs:GetQueueAttributes on ${queueArn}`,
        // Scoped by conditions (audience, lifetime): asserted in azure-vault.test.ts.
        "Allow sts:GetWebIdentityToken on *",
      ].sort(),
    );
  });

  test("in sas mode the archiver lists with the list-only SAS it shares with the reconciler, and mints no web identity token", () => {
    const sasAws = synthStacks([sampleEnv("dev", { azure: { writerAuth: "sas" } })])["dev-aws"];
    const archiver = Object.values(resourcesOf(sasAws, "aws_lambda_function")).find((f: any) => f.function_name === "gcv-dev-transcript-archiver") as any;
    const lister = refTo(sasAws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/azure-vault-lister", "arn");
    expect(archiver.environment.variables).toMatchObject({ AZURE_VAULT_AUTH: "sas", AZURE_VAULT_LISTER_SECRET_ARN: lister });
    const archiverGrants = grants(statementsOfRole(sasAws, "gcv-dev-transcript-archiver"));
    expect(archiverGrants).toContain(`Allow secretsmanager:GetSecretValue on ${lister}`);
    expect(archiverGrants).not.toContain("Allow sts:GetWebIdentityToken on *");
    const reconciler = Object.values(resourcesOf(sasAws, "aws_lambda_function")).find((f: any) => f.function_name === "gcv-dev-vault-reconciler") as any;
    expect(reconciler.environment.variables).toMatchObject({ AZURE_VAULT_AUTH: "sas", AZURE_VAULT_LISTER_SECRET_ARN: lister });
    expect(grants(statementsOfRole(sasAws, "gcv-dev-vault-reconciler"))).not.toContain("Allow sts:GetWebIdentityToken on *");
  });

  test("the archiver's role can be assumed only by Lambda of this account", () => {
    const role = byName("aws_iam_role", "gcv-dev-transcript-archiver");
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "111111111111" } } },
    ]);
  });

  test("alarms on DLQ depth, oldest message age, delivery failures and function errors notify the alarm topic", () => {
    const topic = refTo(aws, "aws_sns_topic", () => true, "arn");
    for (const name of [
      "gcv-dev-transcript-vault-dlq-not-empty",
      "gcv-dev-transcript-vault-oldest-message-age",
      "gcv-dev-transcript-vault-delivery-failed",
      "gcv-dev-transcript-archiver-errors",
    ]) {
      const alarm = byName("aws_cloudwatch_metric_alarm", name);
      expect(alarm).toBeDefined();
      expect(alarm.alarm_actions).toEqual([topic]);
      expect(alarm.comparison_operator).toBe("GreaterThanThreshold");
    }
  });

  test("its log group is encrypted and expires", () => {
    expect(byName("aws_cloudwatch_log_group", "/aws/lambda/gcv-dev-transcript-archiver")).toMatchObject({ kms_key_id: key, retention_in_days: 14 });
  });
});

describe("vault reconciler", () => {
  const fn = () => byName("aws_lambda_function", "gcv-dev-vault-reconciler");

  test("runs daily on a schedule that may invoke only it, one run at a time, in the private subnets", () => {
    const rule = byName("aws_cloudwatch_event_rule", "gcv-dev-vault-reconciler");
    expect(rule.schedule_expression).toBe("cron(0 3 * * ? *)");
    expect(rule.event_bus_name).toBeUndefined(); // the default bus carries schedules
    const permission = (Object.values(resourcesOf(aws, "aws_lambda_permission")) as any[]).find((p) => p.statement_id === "ScheduleInvokesReconciler");
    expect(permission).toMatchObject({ principal: "events.amazonaws.com", source_arn: refTo(aws, "aws_cloudwatch_event_rule", (r) => r.name === "gcv-dev-vault-reconciler", "arn") });
    expect(fn().reserved_concurrent_executions).toBe(1);
    expect(fn().vpc_config.security_group_ids).toEqual([refTo(aws, "aws_security_group", (g) => g.name === "gcv-dev-lambda-egress", "id")]);
  });

  test("gets its window, budget, dry-run switch, queue and secret ARNs (never values) as configuration", () => {
    expect(fn().environment.variables).toEqual({
      POWERTOOLS_SERVICE_NAME: "gcv-dev-vault-reconciler",
      POWERTOOLS_METRICS_NAMESPACE: "GenesysVault/dev",
      GENESYS_REGION_DOMAIN: "mypurecloud.ie",
      GENESYS_SECRET_ARN: refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/genesys-transcript-vault", "arn"),
      AZURE_VAULT_LISTER_SECRET_ARN: refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/azure-vault-lister", "arn"),
      AZURE_VAULT_AUTH: "federated",
      ARCHIVER_QUEUE_URL: refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-transcript-vault", "url"),
      DRY_RUN: "false",
      RECONCILE_WINDOW_HOURS: "48",
      RECONCILE_SETTLE_MINUTES: "60",
      RECONCILE_SLICE_MINUTES: "60",
      RECONCILE_MAX_CONVERSATION_DAYS: "30",
      RECONCILE_REQUESTS_PER_MINUTE: "60",
      RECONCILE_PAGE_SIZE: "100",
      TIME_GUARD_MS: "30000",
      IDEMPOTENCY_TABLE_NAME: refTo(aws, "aws_dynamodb_table", (t) => t.name === "gcv-dev-idempotency", "name"),
    });
  });

  test("may read its two secrets, only send to the archiver's queue, keep its checkpoints and invoke itself; it cannot touch the writer credential", () => {
    const queueArn = refTo(aws, "aws_sqs_queue", (q) => q.name === "gcv-dev-transcript-vault", "arn");
    const tableArn = refTo(aws, "aws_dynamodb_table", (t) => t.name === "gcv-dev-idempotency", "arn");
    expect(grants(statementsOfRole(aws, "gcv-dev-vault-reconciler"))).toEqual(
      [
        ...vpcFunctionBasics("gcv-dev-vault-reconciler"),
        `Allow kms:Decrypt on ${key}`,
        `Allow kms:GenerateDataKey on ${key}`,
        `Allow secretsmanager:GetSecretValue on ${refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/genesys-transcript-vault", "arn")}`,
        `Allow secretsmanager:GetSecretValue on ${refTo(aws, "aws_secretsmanager_secret", (s) => s.name === "gcv-dev/azure-vault-lister", "arn")}`,
        `Allow sqs:SendMessage on ${queueArn}`,
        `Allow dynamodb:GetItem on ${tableArn}`,
        `Allow dynamodb:PutItem on ${tableArn}`,
        `Allow kms:Decrypt on ${key}`,
        `Allow kms:GenerateDataKey on ${key}`,
        // Its own ARN, built from the configured account and region (no reference cycle through the function).
        `Allow lambda:InvokeFunction on arn:aws:lambda:${sampleEnv("dev").aws.region}:${sampleEnv("dev").aws.accountId}:function:gcv-dev-vault-reconciler`,
        // Scoped by conditions (audience, lifetime): asserted in azure-vault.test.ts.
        "Allow sts:GetWebIdentityToken on *",
      ].sort(),
    );
  });

  test("alarms when a conversation is still missing after its backfill, on the metric the function emits", () => {
    expect(byName("aws_cloudwatch_metric_alarm", "gcv-dev-vault-reconciler-missing-after-backfill")).toMatchObject({
      namespace: "GenesysVault/dev",
      metric_name: "MissingAfterBackfill",
      dimensions: { service: "gcv-dev-vault-reconciler" },
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
      alarm_actions: [refTo(aws, "aws_sns_topic", () => true, "arn")],
    });
  });

  test("is left out when disabled", () => {
    const off = synthStacks([sampleEnv("dev", { pipelines: { transcriptVault: { reconciler: { enabled: false } } } } as any)])["dev-aws"];
    expect(Object.values(resourcesOf(off, "aws_lambda_function")).map((f: any) => f.function_name)).not.toContain("gcv-dev-vault-reconciler");
  });
});
