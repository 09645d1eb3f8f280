import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";
import { sampleEnvironments } from "../../config/environments";
import { resourcesOf, sampleEnv, synthEnvironments, synthStacks, type TfJson } from "../support/synth-app";

const ROOT = path.resolve(__dirname, "../..");

describe("every sample environment synthesizes its stacks", () => {
  const stacks = synthStacks();

  test("stack names are <env>-aws and <env>-azure, plus <env>-genesys and <env>-genesys-actions where opted in (dev)", () => {
    expect(Object.keys(stacks).sort()).toEqual(["dev-aws", "dev-azure", "dev-genesys", "dev-genesys-actions", "prod-aws", "prod-azure", "staging-aws", "staging-azure"]);
  });

  test.each(sampleEnvironments.map((e) => e.name))("%s: snapshot of every stack", (name) => {
    for (const side of ["aws", "azure", "genesys", "genesys-actions"]) {
      if (stacks[`${name}-${side}`]) expect(stacks[`${name}-${side}`]).toMatchSnapshot(`${name}-${side}`);
    }
  });

  test("synthesis is deterministic: a second synth is byte-identical", () => {
    const again = synthEnvironments().stacks;
    expect(JSON.stringify(again)).toBe(JSON.stringify(stacks));
  });

  test.each(sampleEnvironments.map((e) => e.name))("%s: Azure allowlist is exactly the AWS NAT EIPs, by cross-stack reference, and the configured auditor networks", (name) => {
    const auditorNetworks = sampleEnvironments.find((e) => e.name === name)!.azure.compliance?.networks ?? [];
    assertAllowlistIsNatEips(stacks[`${name}-aws`], stacks[`${name}-azure`], `${name}-aws`, auditorNetworks);
  });

  test("without auditors, the allowlist is the NAT EIPs alone", () => {
    const prod = sampleEnv("prod");
    const bare = synthStacks([{ ...prod, azure: { ...prod.azure, compliance: undefined } }]);
    assertAllowlistIsNatEips(bare["prod-aws"], bare["prod-azure"], "prod-aws");
  });

  test("every DynamoDB table in every environment has point-in-time recovery on", () => {
    const tables = Object.entries(stacks).flatMap(([stack, json]) =>
      Object.values(resourcesOf(json, "aws_dynamodb_table")).map((t: any) => ({ stack, name: t.name, pitr: t.point_in_time_recovery?.enabled === true })),
    );
    expect(tables.length).toBeGreaterThan(0);
    expect(tables.filter((t) => !t.pitr).map((t) => `${t.stack} ${t.name}`)).toEqual([]);
  });

  test("the AWS side never reads Azure outputs (no reference cycle)", () => {
    for (const e of sampleEnvironments) expect(stacks[`${e.name}-aws`].data?.terraform_remote_state).toBeUndefined();
  });

  test("local state lives in the project root via a relative path, shared by backend and remote state", () => {
    expect(stacks["dev-aws"].terraform.backend).toEqual({ local: { path: "../../../terraform.dev-aws.tfstate" } });
    const remote = Object.values(stacks["dev-azure"].data!.terraform_remote_state)[0] as any;
    expect(remote).toMatchObject({ backend: "local", config: { path: "../../../terraform.dev-aws.tfstate" } });
  });
});

/**
 * The Azure ip_rules must reference, one to one, AWS outputs whose values are the NAT EIPs' public_ip,
 * followed by exactly the auditor networks (literal addresses, never references).
 */
function assertAllowlistIsNatEips(aws: TfJson, azure: TfJson, awsStackName: string, auditorNetworks: readonly string[] = []): void {
  const account = Object.values(resourcesOf(azure, "azurerm_storage_account"))[0];
  const allRules: string[] = account.network_rules.default_action === "Deny" ? account.network_rules.ip_rules : [];
  const eipIds = Object.keys(resourcesOf(aws, "aws_eip"));
  expect(allRules).toHaveLength(eipIds.length + auditorNetworks.length);
  expect(allRules.slice(eipIds.length)).toEqual([...auditorNetworks]);
  const ipRules = allRules.slice(0, eipIds.length);
  const referenced = ipRules.map((rule) => {
    const m = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs\.([\w-]+)\}$/.exec(rule);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(awsStackName);
    const value = aws.output![m![2]].value as string;
    const eip = /^\$\{aws_eip\.([\w-]+)\.public_ip\}$/.exec(value);
    expect(eip).not.toBeNull();
    return eip![1];
  });
  expect(referenced.sort()).toEqual(eipIds.sort());
}

describe("NAT gateways drive the allowlist", () => {
  test("2 NAT gateways put exactly those 2 EIPs into the Azure allowlist", () => {
    const env = sampleEnv("staging", { aws: { azCount: 3, natGateways: 2 } });
    const stacks = synthStacks([env]);
    const aws = stacks["staging-aws"];
    expect(Object.keys(resourcesOf(aws, "aws_eip"))).toHaveLength(2);
    expect(Object.keys(resourcesOf(aws, "aws_nat_gateway"))).toHaveLength(2);
    assertAllowlistIsNatEips(aws, stacks["staging-azure"], "staging-aws", env.azure.compliance?.networks);
  });

  test("every NAT gateway uses its own separately managed EIP, and 3 private subnets share 2 NATs round-robin", () => {
    const env = sampleEnv("staging", { aws: { azCount: 3, natGateways: 2 } });
    const aws = synthStacks([env])["staging-aws"];
    const allocations = Object.values(resourcesOf(aws, "aws_nat_gateway")).map((n: any) => n.allocation_id);
    expect(new Set(allocations).size).toBe(2);
    for (const a of allocations) expect(a).toMatch(/^\$\{aws_eip\.[\w-]+\.allocation_id\}$/);
    const natRoutes = Object.values(resourcesOf(aws, "aws_route")).filter((r: any) => r.nat_gateway_id).map((r: any) => r.nat_gateway_id);
    expect(natRoutes).toHaveLength(3);
    expect(natRoutes[0]).toBe(natRoutes[2]);
    expect(natRoutes[0]).not.toBe(natRoutes[1]);
  });
});

describe("synth from the command line", () => {
  test("invalid configuration fails synth with the environment and field, before writing anything", () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/run-ts.mjs"), path.join(ROOT, "main.ts")], {
      cwd: ROOT,
      env: { ...process.env, GCV_PROD_GENESYS_ORG_ID: "not-a-uuid", CDKTF_OUTDIR: path.join(ROOT, ".build/never-written") },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('environment "prod": genesys.orgId must be the Genesys Cloud organization id (a UUID) (got "not-a-uuid")');
  });

  test("GCV_ENVIRONMENTS limits synth to the named environments", () => {
    const out = path.join(ROOT, ".build/synth-dev-only");
    execFileSync(process.execPath, [path.join(ROOT, "scripts/run-ts.mjs"), path.join(ROOT, "main.ts")], {
      cwd: ROOT,
      env: { ...process.env, GCV_ENVIRONMENTS: "dev", CDKTF_OUTDIR: out },
      stdio: "pipe",
    });
    const manifest = require(path.join(out, "manifest.json"));
    expect(Object.keys(manifest.stacks).sort()).toEqual(["dev-aws", "dev-azure", "dev-genesys", "dev-genesys-actions"]);
  });
});
