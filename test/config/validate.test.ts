import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyDefaults } from "../../config/defaults";
import { sampleEnvironments } from "../../config/environments";
import { deepMerge, loadEnvironments } from "../../config/load";
import type { DeepPartial, EnvironmentConfig, EnvironmentInput } from "../../config/types";
import { ConfigError, deriveNames, isProduction, validateEnvironment } from "../../config/validate";

const dev = applyDefaults(sampleEnvironments.find((e) => e.name === "dev")!);
const prod = applyDefaults(sampleEnvironments.find((e) => e.name === "prod")!);
const problemsWith = (base: EnvironmentConfig, o: DeepPartial<EnvironmentConfig>) => validateEnvironment(deepMerge(base, o));

describe("shipped sample environments", () => {
  test("dev, staging and prod are valid out of the box", () => {
    expect(loadEnvironments({ env: {} }).map((e) => e.name)).toEqual(["dev", "staging", "prod"]);
  });

  test("dev has one NAT gateway and prod one per AZ", () => {
    expect(dev.aws.natGateways).toBe(1);
    expect(prod.aws.natGateways).toBe(prod.aws.azCount);
  });

  test("the partner event source name is derived from org id and suffix", () => {
    expect(deriveNames(dev).partnerEventSourceName).toBe(`aws.partner/genesys.com/cloud/${dev.genesys.orgId}/vault-dev`);
  });
});

describe("invalid configuration names the environment and the field", () => {
  const cases: Array<[string, DeepPartial<EnvironmentConfig>, RegExp]> = [
    ["malformed Genesys org id", { genesys: { orgId: "my-org" } }, /environment "dev": genesys\.orgId must be .*UUID.*"my-org"/],
    ["public VPC CIDR", { aws: { vpcCidr: "54.10.0.0/20" } }, /environment "dev": aws\.vpcCidr must be inside a private \(RFC 1918\) range/],
    ["VPC CIDR too small for the subnets", { aws: { vpcCidr: "10.40.0.0/25" } }, /environment "dev": aws\.vpcCidr is too small: every subnet is 1\/16 of the VPC .* would be \/29; .* must be \/24 or larger/],
    ["VPC CIDR with host bits", { aws: { vpcCidr: "10.40.0.1/20" } }, /environment "dev": aws\.vpcCidr must be an IPv4 network address/],
    ["unknown Genesys region domain", { genesys: { regionDomain: "mypurecloud.fr" as never } }, /environment "dev": genesys\.regionDomain must be a Genesys Cloud region domain/],
    ["storage account name Azure would reject", { azure: { storageAccountName: "GCVault-Dev" } }, /environment "dev": azure\.storageAccountName must be 3-24 lowercase letters and digits/],
    ["storage account name too long", { azure: { storageAccountName: "a".repeat(25) } }, /azure\.storageAccountName/],
    ["soft-delete retention out of range", { azure: { softDeleteRetentionDays: 400 } }, /environment "dev": azure\.softDeleteRetentionDays must be an integer from 1 to 365 \(got 400\)/],
    ["immutability out of range", { azure: { immutabilityDays: 0 } }, /azure\.immutabilityDays must be an integer from 1 to 146000/],
    ["more NAT gateways than AZs", { aws: { natGateways: 3 } }, /environment "dev": aws\.natGateways must be an integer from 1 to azCount \(2\)/],
    ["archive tier before cool tier", { azure: { archiveAfterDays: 10 } }, /azure\.archiveAfterDays must be an integer greater than coolAfterDays/],
    ["SAS outliving no rotation", { azure: { sasValidityDays: 14 } }, /azure\.sasValidityDays .* greater than sasRotationDays \(14\)/],
    ["bad AWS account id", { aws: { accountId: "1234" } }, /aws\.accountId must be a 12-digit AWS account id/],
    ["bad AWS region", { aws: { region: "europe-1" } }, /aws\.region must be an AWS region/],
    ["unknown replication type", { azure: { replicationType: "XRS" as never } }, /azure\.replicationType must be one of LRS, ZRS/],
    ["log retention CloudWatch does not offer", { aws: { logRetentionDays: 10 } }, /aws\.logRetentionDays must be one of CloudWatch's values/],
    ["container name with double hyphen", { azure: { containerName: "my--vault" } }, /azure\.containerName/],
    ["audit log retention Log Analytics does not offer", { azure: { auditLogRetentionDays: 7 } }, /environment "dev": azure\.auditLogRetentionDays must be an integer from 30 to 730 \(Log Analytics retention\) \(got 7\)/],
    ["reconciler schedule that is not an EventBridge expression", { pipelines: { transcriptVault: { reconciler: { schedule: "0 3 * * *" } } } }, /pipelines\.transcriptVault\.reconciler\.schedule must be an EventBridge schedule expression/],
    ["reconciler budget above the Genesys rate limit", { pipelines: { transcriptVault: { reconciler: { requestsPerMinute: 500 } } } }, /reconciler\.requestsPerMinute must be an integer from 1 to 300/],
    ["reconciler page size above 100", { pipelines: { transcriptVault: { reconciler: { pageSize: 250 } } } }, /reconciler\.pageSize must be an integer from 1 to 100/],
    ["reconciler search shorter than a day", { pipelines: { transcriptVault: { reconciler: { maxConversationDays: 0 } } } }, /reconciler\.maxConversationDays must be an integer from 1 to 90/],
    ["time guard as long as the archiver timeout", { pipelines: { transcriptVault: { timeGuardSeconds: 120 } } }, /pipelines\.transcriptVault\.timeGuardSeconds must be an integer from 1 to 899 and below timeoutSeconds \(120\)/],
    ["no deployer role (each secret would lock its deployer out)", { aws: { deployerRoleArns: [] } }, /environment "dev": aws\.deployerRoleArns must list 1 to 10 IAM role ARNs/],
    ["a deployer that is not a role ARN", { aws: { deployerRoleArns: ["arn:aws:iam::111111111111:user/alice"] } }, /aws\.deployerRoleArns must hold IAM role ARNs .*user\/alice/],
    ["no plan role (each secret would refuse the plan's refresh)", { aws: { planRoleArns: [] } }, /environment "dev": aws\.planRoleArns must list 1 to 10 IAM role ARNs that plan the stacks/],
    ["a plan role that is a deployer (it would read secret values)", { aws: { planRoleArns: ["arn:aws:iam::111111111111:role/gcv-deploy"] } }, /aws\.planRoleArns must not name a deployer role: a plan role reads no secret value/],
    ["no owner of the vault's Entra applications", { azure: { applicationOwnerObjectIds: [] } }, /environment "dev": azure\.applicationOwnerObjectIds must list 1 to 10 Entra object ids .*never the identity that applies/],
    ["an owner that is not an object id", { azure: { applicationOwnerObjectIds: ["platform-admins"] } }, /azure\.applicationOwnerObjectIds must list 1 to 10 Entra object ids \(UUIDs\).*\(got \["platform-admins"\]\)/],
    ["unknown writer auth mode", { azure: { writerAuth: "key" as never } }, /environment "dev": azure\.writerAuth must be one of federated, sas \(got "key"\)/],
    ["issuer over plain http", { aws: { outboundIdentityIssuer: "http://abc.tokens.sts.global.api.aws" } }, /aws\.outboundIdentityIssuer must be an https URL .*enable-outbound-web-identity-federation/],
    ["issuer that is not a URL", { aws: { outboundIdentityIssuer: "abc.tokens.sts.global.api.aws" } }, /aws\.outboundIdentityIssuer must be an https URL/],
    ["issuer with a query", { aws: { outboundIdentityIssuer: "https://abc.tokens.sts.global.api.aws?x=1" } }, /aws\.outboundIdentityIssuer must be an https URL without query/],
  ];
  test.each(cases)("%s", (_label, override, message) => {
    const problems = problemsWith(dev, override);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test("federated mode (the default) requires the outbound federation issuer", () => {
    const { outboundIdentityIssuer: _dropped, ...aws } = dev.aws;
    const problems = validateEnvironment({ ...dev, aws, azure: { ...dev.azure, writerAuth: undefined } });
    expect(problems).toEqual([expect.stringMatching(/environment "dev": aws\.outboundIdentityIssuer is required when azure\.writerAuth is "federated" \(the default\).*enable-outbound-web-identity-federation/)]);
    expect(deriveNames({ ...dev, azure: { ...dev.azure, writerAuth: undefined } }).vaultWriterAuth).toBe("federated");
  });

  test("federated mode requires the owners of the vault's Entra applications; sas mode creates none and needs none", () => {
    const { applicationOwnerObjectIds: _dropped, ...azure } = dev.azure;
    expect(validateEnvironment({ ...dev, azure })).toEqual([expect.stringMatching(/environment "dev": azure\.applicationOwnerObjectIds must list 1 to 10 Entra object ids .*when azure\.writerAuth is "federated" \(got undefined\)/)]);
    expect(validateEnvironment({ ...dev, azure: { ...azure, writerAuth: "sas" } })).toEqual([]);
  });

  test("sas mode needs no issuer", () => {
    const { outboundIdentityIssuer: _dropped, ...aws } = dev.aws;
    expect(validateEnvironment({ ...dev, aws, azure: { ...dev.azure, writerAuth: "sas" } })).toEqual([]);
  });

  test("the writer mode can come from GCV_<ENV>_AZURE_WRITER_AUTH, and a bad one is refused", () => {
    expect(loadEnvironments({ env: { GCV_DEV_AZURE_WRITER_AUTH: "sas" } }).find((e) => e.name === "dev")!.azure.writerAuth).toBe("sas");
    expect(() => loadEnvironments({ env: { GCV_DEV_AZURE_WRITER_AUTH: "keys" } })).toThrow(/environment "dev": azure\.writerAuth must be one of federated, sas \(got "keys"\)/);
  });

  describe("the issuer must be exactly what AWS returns: Entra compares it with each token's iss as a string", () => {
    const issuer = dev.aws.outboundIdentityIssuer!;
    const rule = /aws\.outboundIdentityIssuer must be exactly the IssuerIdentifier .*no path, trailing slash, port or surrounding spaces: Entra ID compares it with the iss claim/;

    test.each([
      ["a trailing slash", `${issuer}/`],
      ["two trailing slashes", `${issuer}//`],
      ["a leading space", ` ${issuer}`],
      ["a trailing newline (a pasted variable)", `${issuer}\n`],
    ])("%s is refused, with the exact value to use", (_label, value) => {
      const problems = problemsWith(dev, { aws: { outboundIdentityIssuer: value } });
      expect(problems).toEqual([expect.stringMatching(rule)]);
      expect(problems[0]).toContain(`; use ${JSON.stringify(issuer)} (got ${JSON.stringify(value)})`);
    });

    test.each([
      ["a path", `${issuer}/oidc`],
      ["an explicit port", issuer.replace(".aws", ".aws:443")],
    ])("%s is refused", (_label, value) => {
      const problems = problemsWith(dev, { aws: { outboundIdentityIssuer: value } });
      expect(problems).toEqual([expect.stringMatching(rule)]);
      expect(problems[0]).not.toContain("; use ");
    });

    test("the form AWS returns is accepted", () => {
      expect(problemsWith(dev, { aws: { outboundIdentityIssuer: issuer } })).toEqual([]);
    });

    test("a trailing slash from GCV_<ENV>_AWS_OUTBOUND_IDENTITY_ISSUER fails the load", () => {
      expect(() => loadEnvironments({ env: { GCV_PROD_AWS_OUTBOUND_IDENTITY_ISSUER: `${prod.aws.outboundIdentityIssuer}/` } })).toThrow(
        /environment "prod": aws\.outboundIdentityIssuer must be exactly the IssuerIdentifier/,
      );
    });
  });

  test("the issuer can come from GCV_<ENV>_AWS_OUTBOUND_IDENTITY_ISSUER", () => {
    const issuer = "https://4f1e2d3c-0000-4000-8000-000000000001.tokens.sts.global.api.aws";
    const loaded = loadEnvironments({ env: { GCV_PROD_AWS_OUTBOUND_IDENTITY_ISSUER: issuer } }).find((e) => e.name === "prod")!;
    expect(loaded.aws.outboundIdentityIssuer).toBe(issuer);
  });

  test("loading throws one ConfigError listing every problem", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "gcv-cfg-")), "envs.json");
    writeFileSync(file, JSON.stringify({ prod: { genesys: { orgId: "nope" }, azure: { storageAccountName: "UPPER" } } }));
    const load = () => loadEnvironments({ env: { GCV_CONFIG_FILE: file } });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/environment "prod": genesys\.orgId[\s\S]*environment "prod": azure\.storageAccountName/);
  });

  test("two environments may not share a storage account", () => {
    expect(() => loadEnvironments({ contextOverrides: { staging: { azure: { storageAccountName: dev.azure.storageAccountName } } }, env: {} })).toThrow(
      /azure\.storageAccountName must differ between environments \(duplicated: gcvaultdev7f3a\)/,
    );
  });
});

describe("overrides", () => {
  test("GCV_<ENV>_<FIELD> variables override one field of one environment", () => {
    const envs = loadEnvironments({ env: { GCV_PROD_GENESYS_ORG_ID: "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", GCV_PROD_NAT_GATEWAYS: "2" } });
    const p = envs.find((e) => e.name === "prod")!;
    expect(p.genesys.orgId).toBe("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");
    expect(p.aws.natGateways).toBe(2);
    expect(envs.find((e) => e.name === "dev")!.genesys.orgId).toBe(dev.genesys.orgId);
  });

  test("a non-numeric number variable is rejected with its name", () => {
    expect(() => loadEnvironments({ env: { GCV_DEV_NAT_GATEWAYS: "two" } })).toThrow(/GCV_DEV_NAT_GATEWAYS must be a number \(got "two"\)/);
  });

  test("a config file deep-merges over the samples", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "gcv-cfg-")), "envs.json");
    writeFileSync(file, JSON.stringify({ dev: { aws: { azCount: 3, natGateways: 3 } } }));
    const d = loadEnvironments({ env: { GCV_CONFIG_FILE: file, GCV_ENVIRONMENTS: "dev" } });
    expect(d).toHaveLength(1);
    expect(d[0].aws).toMatchObject({ azCount: 3, natGateways: 3, vpcCidr: dev.aws.vpcCidr });
  });

  test("a config file that is not JSON fails with the file name", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "gcv-cfg-")), "envs.json");
    writeFileSync(file, "{ dev: ");
    expect(() => loadEnvironments({ env: { GCV_CONFIG_FILE: file } })).toThrow(/GCV_CONFIG_FILE .*envs\.json is not valid JSON/);
  });

  test("GCV_ENVIRONMENTS with an unknown name fails and lists the known ones", () => {
    expect(() => loadEnvironments({ env: { GCV_ENVIRONMENTS: "dev,qa" } })).toThrow(/unknown environment\(s\): qa \(known: dev, staging, prod\)/);
  });
});

describe("pipeline settings", () => {
  test("the backpressure limit follows the processor's reserved concurrency unless set", () => {
    const base = sampleEnvironments.find((e) => e.name === "dev")!;
    expect(applyDefaults({ ...base, pipelines: { interaction: { processorConcurrency: 3 } } }).pipelines.interaction.maxRunningExecutions).toBe(3);
    expect(applyDefaults({ ...base, pipelines: { interaction: { processorConcurrency: 8, maxRunningExecutions: 4 } } }).pipelines.interaction.maxRunningExecutions).toBe(4);
    expect(applyDefaults(base).pipelines.interaction.maxRunningExecutions).toBe(applyDefaults(base).pipelines.interaction.processorConcurrency);
  });

  test("defaults apply where an environment leaves them out, and an override keeps the other defaults", () => {
    const [d] = loadEnvironments({ env: { GCV_ENVIRONMENTS: "dev" }, contextOverrides: { dev: { pipelines: { transcriptVault: { maxConcurrency: 20 } } } } });
    expect(d.pipelines.transcriptVault.maxConcurrency).toBe(20);
    expect(d.pipelines.transcriptVault.topics).toEqual(["v2.conversations.{id}.transcription", "v2.detail.events.conversation.{id}.customer.end"]);
  });

  const cases: Array<[string, DeepPartial<EnvironmentConfig>, RegExp]> = [
    ["concurrency below the SQS event source minimum", { pipelines: { transcriptVault: { maxConcurrency: 1 } } }, /pipelines\.transcriptVault\.maxConcurrency must be an integer from 2 to 1000/],
    ["a topic that is not a Genesys topic", { pipelines: { interaction: { topics: ["conversation.end"] } } }, /pipelines\.interaction\.topics\[0\] is not a Genesys conversation topic .*\(got "conversation\.end"\)/],
    ["an empty topic list", { pipelines: { interaction: { topics: [] } } }, /pipelines\.interaction\.topics must be a non-empty list of Genesys topics/],
    ["a Lambda timeout over 15 minutes", { pipelines: { interaction: { timeoutSeconds: 1200 } } }, /pipelines\.interaction\.timeoutSeconds must be an integer from 1 to 900/],
    ["more running executions than processor instances", { pipelines: { interaction: { processorConcurrency: 5, maxRunningExecutions: 6 } } }, /pipelines\.interaction\.maxRunningExecutions must be an integer from 1 to processorConcurrency \(5\)/],
    ["a maximum event age under an hour", { pipelines: { interaction: { maxEventAgeSeconds: 60 } } }, /pipelines\.interaction\.maxEventAgeSeconds must be an integer from 3600/],
    ["a Genesys rate of zero", { pipelines: { interaction: { genesysRequestsPerMinute: 0 } } }, /pipelines\.interaction\.genesysRequestsPerMinute must be an integer from 1/],
    ["a large batch without a batching window", { pipelines: { transcriptVault: { batchSize: 100, batchWindowSeconds: 0 } } }, /batchWindowSeconds must be at least 1 when batchSize is over 10/],
  ];
  test.each(cases)("%s", (_label, override, message) => {
    expect(problemsWith(dev, override)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });
});

describe("genesysStack (the Genesys side as code)", () => {
  test("is off unless an environment opts in; the dev sample opts in", () => {
    expect(prod.genesysStack).toEqual({ enabled: false, accessTokenValiditySeconds: 3600 });
    expect(dev.genesysStack.enabled).toBe(true);
  });

  const trigger = dev.genesysStack.webhookTrigger!;
  const cases: Array<[string, DeepPartial<EnvironmentConfig>, RegExp]> = [
    ["enabled not a boolean", { genesysStack: { enabled: "yes" as never } }, /^environment "dev": genesysStack\.enabled must be true or false: .* \(got "yes"\)$/],
    ["token lifetime over 48 h", { genesysStack: { accessTokenValiditySeconds: 200000 } }, /genesysStack\.accessTokenValiditySeconds must be an integer from 300 to 172800/],
    [
      "a permission not written domain:entity:action",
      { genesysStack: { additionalPermissions: { interaction: ["conversation participant edit"] } } },
      /genesysStack\.additionalPermissions\.interaction must be a list of Genesys permissions written domain:entity:action/,
    ],
    ["a wildcard-domain permission", { genesysStack: { additionalPermissions: { configSync: ["*:*:*"] } } }, /genesysStack\.additionalPermissions\.configSync must be a list/],
    ["permissions for a pipeline that does not call Genesys", { genesysStack: { additionalPermissions: { webhook: ["a:b:c"] } as never } }, /genesysStack\.additionalPermissions\.webhook is not a known field; known fields here: transcriptVault, interaction, configSync$/],
    ["a trigger workflow id that is not a UUID", { genesysStack: { webhookTrigger: { ...trigger, workflowId: "my-flow" } } }, /genesysStack\.webhookTrigger\.workflowId must be the id \(a UUID\)/],
    ["a trigger topic that is not a topic", { genesysStack: { webhookTrigger: { ...trigger, topicName: "customer end" } } }, /genesysStack\.webhookTrigger\.topicName must be a Genesys topic/],
    ["a trigger TTL under the provider minimum", { genesysStack: { webhookTrigger: { ...trigger, eventTtlSeconds: 5 } } }, /genesysStack\.webhookTrigger\.eventTtlSeconds must be an integer of at least 10/],
    ["a trigger delay outside the provider's 60-900", { genesysStack: { webhookTrigger: { ...trigger, eventTtlSeconds: undefined, delayBySeconds: 30 } } }, /genesysStack\.webhookTrigger\.delayBySeconds must be an integer from 60 to 900/],
    ["a trigger with both a TTL and a delay", { genesysStack: { webhookTrigger: { ...trigger, delayBySeconds: 120 } } }, /genesysStack\.webhookTrigger takes eventTtlSeconds or delayBySeconds, not both/],
    ["a trigger data format the provider does not know", { genesysStack: { webhookTrigger: { ...trigger, dataFormat: "Xml" as never } } }, /genesysStack\.webhookTrigger\.dataFormat must be Json or TopLevelPrimitives/],
    ["a trigger without webhook actions", { pipelines: { webhook: { actions: [] } } }, /genesysStack\.webhookTrigger needs webhook actions/],
    ["a trigger without match criteria (the provider cannot create one)", { genesysStack: { webhookTrigger: { ...trigger, matchCriteria: [] } } }, /genesysStack\.webhookTrigger\.matchCriteria must be a list of at least one/],
    [
      "a trigger criterion whose value is not a string",
      { genesysStack: { webhookTrigger: { ...trigger, matchCriteria: [{ jsonPath: "mediaType", operator: "Equal", value: 3 as never }] } } },
      /genesysStack\.webhookTrigger\.matchCriteria must be a list of at least one \{ jsonPath, operator, value\? or values\? \} with string values/,
    ],
  ];
  test.each(cases)("%s", (_label, override, message) => {
    expect(problemsWith(dev, override).join("\n")).toMatch(message);
  });

  test("GCV_<ENV>_GENESYS_STACK_ENABLED turns it on or off for one environment", () => {
    const envs = loadEnvironments({ env: { GCV_PROD_GENESYS_STACK_ENABLED: "true", GCV_DEV_GENESYS_STACK_ENABLED: "false" } });
    expect(envs.map((e) => [e.name, e.genesysStack.enabled])).toEqual([["dev", false], ["staging", false], ["prod", true]]);
    expect(() => loadEnvironments({ env: { GCV_PROD_GENESYS_STACK_ENABLED: "yes" } })).toThrow('GCV_PROD_GENESYS_STACK_ENABLED must be true or false (got "yes")');
  });

  test.each(["mxc1.pure.cloud", "apse1.pure.cloud"])("an org in %s can have its Genesys side as code (the provider maps the region)", (regionDomain) => {
    expect(problemsWith(dev, { genesys: { regionDomain: regionDomain as never } })).toEqual([]);
  });
});

describe("alarm subscriptions and operational thresholds", () => {
  const staging = applyDefaults(sampleEnvironments.find((e) => e.name === "staging")!);
  const withoutSubscription = (env: EnvironmentConfig): EnvironmentConfig => ({ ...env, aws: { ...env.aws, alarmEmail: undefined, alarmHttpsEndpoint: undefined, alarmSubscriptionOptOut: undefined } });

  test("the samples show both kinds: staging by e-mail, prod by e-mail and HTTPS, dev opted out explicitly", () => {
    expect(staging.aws.alarmEmail).toMatch(/@/);
    expect(prod.aws.alarmEmail).toMatch(/@/);
    expect(prod.aws.alarmHttpsEndpoint).toMatch(/^https:\/\//);
    expect(dev.aws.alarmSubscriptionOptOut).toBe(true);
  });

  test.each(["staging", "prod"])("%s without any subscription is refused", (name) => {
    const env = withoutSubscription(name === "prod" ? prod : staging);
    expect(validateEnvironment(env)).toEqual([`environment "${name}": needs an alarm subscription, or alarms reach no one: set aws.alarmEmail or aws.alarmHttpsEndpoint`]);
  });

  test.each(["staging", "prod"])("%s cannot opt out, even explicitly", (name) => {
    const env = withoutSubscription(name === "prod" ? prod : staging);
    expect(validateEnvironment({ ...env, aws: { ...env.aws, alarmSubscriptionOptOut: true } }).join("\n")).toMatch(
      new RegExp(`environment "${name}": aws\\.alarmSubscriptionOptOut cannot be true for ${name}`),
    );
  });

  test("any other environment needs a subscription or an explicit opt-out", () => {
    const qa = withoutSubscription({ ...dev, name: "qa" });
    expect(validateEnvironment(qa).join("\n")).toMatch(/environment "qa": needs an alarm subscription.*or, outside production environments, aws\.alarmSubscriptionOptOut: true/);
    expect(validateEnvironment({ ...qa, aws: { ...qa.aws, alarmSubscriptionOptOut: true } })).toEqual([]);
    expect(validateEnvironment({ ...qa, aws: { ...qa.aws, alarmHttpsEndpoint: "https://hooks.example.com/sns" } })).toEqual([]);
  });

  test("an HTTPS endpoint must be https, and opting out while subscribed is a contradiction", () => {
    expect(problemsWith(prod, { aws: { alarmHttpsEndpoint: "http://alerts.example.com/sns" } }).join("\n")).toMatch(/aws\.alarmHttpsEndpoint must be an https:\/\/ URL \(got "http:/);
    expect(problemsWith(dev, { aws: { alarmEmail: "ops@example.com" } }).join("\n")).toMatch(/aws\.alarmSubscriptionOptOut is true but a subscription is configured/);
  });

  test("the SAS expiry warning must leave room for on-time rotation", () => {
    // validity 30, rotation 14: a token rotated on time still has 16 days; warning at 15 is the most.
    expect(problemsWith(prod, { azure: { sasExpiryWarningDays: 15 } })).toEqual([]);
    expect(problemsWith(prod, { azure: { sasExpiryWarningDays: 16 } }).join("\n")).toMatch(/azure\.sasExpiryWarningDays must be an integer from 1 to sasValidityDays - sasRotationDays - 1 \(15\).*\(got 16\)/);
    expect(problemsWith(prod, { azure: { sasExpiryWarningDays: 0 } }).join("\n")).toMatch(/azure\.sasExpiryWarningDays/);
  });

  test("the Genesys silence window is 0 (off) or a multiple of 5 minutes up to a day", () => {
    expect(problemsWith(prod, { genesys: { maxSilenceMinutes: 0 } })).toEqual([]);
    expect(problemsWith(prod, { genesys: { maxSilenceMinutes: 1440 } })).toEqual([]);
    for (const bad of [3, 62, 1445, -5]) {
      expect(problemsWith(prod, { genesys: { maxSilenceMinutes: bad } }).join("\n")).toMatch(/genesys\.maxSilenceMinutes must be 0 \(no silence alarm\) or a multiple of 5 from 5 to 1440/);
    }
  });

  test("GCV_<ENV>_ALARM_HTTPS_ENDPOINT sets the HTTPS subscription", () => {
    const [env] = loadEnvironments({ env: { GCV_ENVIRONMENTS: "staging", GCV_STAGING_ALARM_HTTPS_ENDPOINT: "https://hooks.example.com/x" } });
    expect(env!.aws.alarmHttpsEndpoint).toBe("https://hooks.example.com/x");
  });
});

describe("production environments: one rule decides every production requirement", () => {
  const devInput = sampleEnvironments.find((e) => e.name === "dev")!;
  /** A complete new environment from the dev sample: local state and alarms opted out, as dev has them. */
  const newEnvironment = (name: string, production?: boolean): EnvironmentInput => ({
    ...devInput,
    name,
    ...(production === undefined ? {} : { production }),
    azure: { ...devInput.azure, storageAccountName: `gcvault${name}` },
    genesys: { ...devInput.genesys, eventSourceSuffix: `vault-${name}` },
  });
  /** The problems loading `env` the way synth does (config file, context or code). */
  const loadProblems = (env: EnvironmentInput): readonly string[] => {
    try {
      loadEnvironments({ env: {}, base: [env], onWarning: () => undefined });
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };
  const remoteState = (name: string, because: string) =>
    `environment "${name}": backends.aws and backends.azure must be set: "${name}" keeps its state remotely as a production environment (${because}), because state holds the storage account keys, the vault SAS and every resource id, and local state is lost with the machine and unlocked between people; see docs/operations.md#state`;
  const alarms = (name: string, because: string) =>
    `environment "${name}": aws.alarmSubscriptionOptOut cannot be true for ${name}: a production environment (${because}) must have alarms that reach someone; set aws.alarmEmail or aws.alarmHttpsEndpoint`;

  test("prodeu without the field gets every production requirement: remote state and alarms that reach someone", () => {
    expect(isProduction(newEnvironment("prodeu"))).toBe(true);
    expect(loadProblems(newEnvironment("prodeu"))).toEqual([alarms("prodeu", "its name starts with prod or stag"), remoteState("prodeu", "its name starts with prod or stag")]);
  });

  test("so does any name starting with stag", () => {
    expect(loadProblems(newEnvironment("stagingeu"))).toEqual([alarms("stagingeu", "its name starts with prod or stag"), remoteState("stagingeu", "its name starts with prod or stag")]);
  });

  test("production: true makes any name production", () => {
    expect(loadProblems(newEnvironment("live", true))).toEqual([alarms("live", "production: true"), remoteState("live", "production: true")]);
  });

  test("production: false on a name starting with prod is refused, and the requirements still apply", () => {
    const env = newEnvironment("prodeu", false);
    expect(isProduction(env)).toBe(true);
    expect(loadProblems(env)).toEqual([
      'environment "prodeu": production cannot be false for "prodeu": a name starting with prod or stag is in every resource name and reads as production to everyone, so it gets every production requirement; remove the field, or give a non-production environment another name',
      alarms("prodeu", "its name starts with prod or stag"),
      remoteState("prodeu", "its name starts with prod or stag"),
    ]);
  });

  test("other names are not production unless they say so; production: false there is the default, stated", () => {
    expect(loadProblems(newEnvironment("qa"))).toEqual([]);
    expect(loadProblems(newEnvironment("qa", false))).toEqual([]);
    expect(isProduction(newEnvironment("qa"))).toBe(false);
  });

  test("the field must be a boolean", () => {
    expect(loadProblems({ ...newEnvironment("qa"), production: "yes" as never })).toEqual([expect.stringMatching(/^environment "qa": production must be true or false: .* \(got "yes"\)$/)]);
  });

  test("the samples: dev is not production, staging and prod are", () => {
    expect(sampleEnvironments.map((e) => [e.name, isProduction(e)])).toEqual([["dev", false], ["staging", true], ["prod", true]]);
  });
});

describe("lifecycle tiers follow the account's redundancy (Azure has no archive tier on ZRS, GZRS or RA-GZRS)", () => {
  const staging = applyDefaults(sampleEnvironments.find((e) => e.name === "staging")!);
  const withTiers = (env: EnvironmentConfig, azure: Partial<EnvironmentConfig["azure"]>): EnvironmentConfig => ({ ...env, azure: { ...env.azure, ...azure } });
  const refusal = (name: string, redundancy: string, days: number, instead: string) =>
    `environment "${name}": azure.archiveAfterDays cannot be used with azure.replicationType "${redundancy}": Azure supports the archive tier only on LRS, GRS, RAGRS accounts, so the rule would never archive; ${instead} (the cold tier supports every redundancy), or choose replication LRS, GRS, RAGRS (got ${days})`;

  test.each(["ZRS", "GZRS", "RAGZRS"] as const)("archive on %s is refused, naming the environment, the key, the redundancy and the cold tier instead", (redundancy) => {
    expect(validateEnvironment(withTiers(dev, { replicationType: redundancy }))).toEqual([refusal("dev", redundancy, 90, "set azure.coldAfterDays: 90 instead")]);
  });

  test("the tiers staging and prod shipped with (archive on ZRS and RAGZRS) are refused", () => {
    expect(validateEnvironment(withTiers(staging, { coldAfterDays: undefined, archiveAfterDays: 90 }))).toEqual([refusal("staging", "ZRS", 90, "set azure.coldAfterDays: 90 instead")]);
    expect(validateEnvironment(withTiers(prod, { coldAfterDays: undefined, archiveAfterDays: 180 }))).toEqual([refusal("prod", "RAGZRS", 180, "set azure.coldAfterDays: 180 instead")]);
  });

  test("archive added over a cold tier on ZRS is refused from a config file too", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "gcv-cfg-")), "envs.json");
    writeFileSync(file, JSON.stringify({ staging: { azure: { archiveAfterDays: 120 } } }));
    expect(() => loadEnvironments({ env: { GCV_CONFIG_FILE: file } })).toThrow(refusal("staging", "ZRS", 120, "remove it and keep azure.coldAfterDays"));
  });

  test.each(["LRS", "GRS", "RAGRS"] as const)("archive on %s is accepted", (redundancy) => {
    expect(validateEnvironment(withTiers(dev, { replicationType: redundancy }))).toEqual([]);
  });

  test.each(["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"] as const)("cold on %s is accepted", (redundancy) => {
    expect(validateEnvironment(withTiers(dev, { replicationType: redundancy, coldAfterDays: 60, archiveAfterDays: undefined }))).toEqual([]);
  });

  test("cool, cold and archive on LRS, each later than the one before", () => {
    expect(validateEnvironment(withTiers(dev, { coolAfterDays: 30, coldAfterDays: 90, archiveAfterDays: 180 }))).toEqual([]);
    expect(validateEnvironment(withTiers(dev, { coolAfterDays: 30, coldAfterDays: 30 }))).toEqual(['environment "dev": azure.coldAfterDays must be an integer greater than coolAfterDays (30) (got 30)']);
    expect(validateEnvironment(withTiers(dev, { coolAfterDays: 30, coldAfterDays: 120, archiveAfterDays: 90 }))).toEqual([
      'environment "dev": azure.archiveAfterDays must be an integer greater than coolAfterDays (30) and coldAfterDays (120) (got 90)',
    ]);
  });

  test("the samples: dev archives (LRS), staging and prod go cold (ZRS, RAGZRS)", () => {
    expect([dev, staging, prod].map((e) => [e.name, e.azure.replicationType, e.azure.coldAfterDays, e.azure.archiveAfterDays])).toEqual([
      ["dev", "LRS", undefined, 90],
      ["staging", "ZRS", 90, undefined],
      ["prod", "RAGZRS", 180, undefined],
    ]);
  });
});
