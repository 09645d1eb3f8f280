import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyDefaults } from "../../config/defaults";
import { sampleEnvironments } from "../../config/environments";
import { deepMerge, loadEnvironments } from "../../config/load";
import type { DeepPartial, EnvironmentConfig } from "../../config/types";
import { ConfigError, deriveNames, validateEnvironment } from "../../config/validate";

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
    ["VPC CIDR too small for the subnets", { aws: { vpcCidr: "10.40.0.0/27" } }, /environment "dev": aws\.vpcCidr is too small for 4 subnets/],
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
  ];
  test.each(cases)("%s", (_label, override, message) => {
    const problems = problemsWith(dev, override);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
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
  test("defaults apply where an environment leaves them out, and an override keeps the other defaults", () => {
    const [d] = loadEnvironments({ env: { GCV_ENVIRONMENTS: "dev" }, contextOverrides: { dev: { pipelines: { transcriptVault: { maxConcurrency: 20 } } } } });
    expect(d.pipelines.transcriptVault.maxConcurrency).toBe(20);
    expect(d.pipelines.transcriptVault.topics).toEqual(["v2.conversations.{id}.transcription", "v2.detail.events.conversation.{id}.customer.end"]);
  });

  const cases: Array<[string, DeepPartial<EnvironmentConfig>, RegExp]> = [
    ["concurrency below the SQS event source minimum", { pipelines: { transcriptVault: { maxConcurrency: 1 } } }, /pipelines\.transcriptVault\.maxConcurrency must be an integer from 2 to 1000/],
    ["a topic that is not a Genesys topic", { pipelines: { interaction: { topics: ["conversation.end"] } } }, /pipelines\.interaction\.topics must be a non-empty list of Genesys topics/],
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
