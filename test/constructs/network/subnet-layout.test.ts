import { planSubnets } from "../../../constructs/network/subnet-plan";
import { sampleEnv, synthStacks, type TfJson } from "../../support/synth-app";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** The resource-level diff of two syntheses of one stack: what Terraform would add, remove or change. */
function diffStacks(before: TfJson, after: TfJson): { added: string[]; removed: string[]; changed: Array<{ address: string; before: any; after: any }> } {
  const flat = (stack: TfJson) => new Map(Object.entries((stack.resource ?? {}) as Resources).flatMap(([type, byId]) => Object.entries(byId).map(([id, r]) => [`${type}.${id}`, r] as const)));
  const b = flat(before);
  const a = flat(after);
  return {
    added: [...a.keys()].filter((k) => !b.has(k)).sort(),
    removed: [...b.keys()].filter((k) => !a.has(k)).sort(),
    changed: [...b.keys()].filter((k) => a.has(k) && JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k))).map((address) => ({ address, before: b.get(address), after: a.get(address) })),
  };
}

/** Removes a list attribute at `path` (e.g. vpc_config.subnet_ids) and returns it. */
function takeList(resource: any, path: string[]): string[] | undefined {
  const parent = path.slice(0, -1).reduce((o, k) => (o == null ? o : o[k]), resource);
  if (parent == null) return undefined;
  const last = path[path.length - 1]!;
  const list = parent[last] as string[] | undefined;
  delete parent[last];
  return list;
}

describe("adding availability zones keeps every existing subnet", () => {
  const two = synthStacks([sampleEnv("dev", { aws: { azCount: 2, natGateways: 1 } })])["dev-aws"]!;
  const three = synthStacks([sampleEnv("dev", { aws: { azCount: 3, natGateways: 1 } })])["dev-aws"]!;
  const diff = diffStacks(two, three);

  test("nothing is removed or replaced: subnets, NAT gateways, EIPs and route tables are unchanged", () => {
    expect(diff.removed).toEqual([]);
    const network = diff.changed.filter((c) => /^aws_(subnet|nat_gateway|eip|route_table|route|route_table_association|vpc)\./.test(c.address));
    expect(network).toEqual([]);
  });

  test("only the new zone's subnets, route table and routes are added", () => {
    expect(diff.added).toEqual([
      expect.stringMatching(/^aws_route\.network_private-2-default_/),
      expect.stringMatching(/^aws_route_table\.network_private-2-rt_/),
      expect.stringMatching(/^aws_route_table_association\.network_private-2-rta_/),
      expect.stringMatching(/^aws_route_table_association\.network_public-2-rta_/),
      expect.stringMatching(/^aws_subnet\.network_private-2_/),
      expect.stringMatching(/^aws_subnet\.network_public-2_/),
    ]);
  });

  test("what changes in place only gains the new zone (Lambda subnets, gateway endpoint route tables)", () => {
    expect(diff.changed.length).toBeGreaterThan(0);
    for (const { address, before, after } of diff.changed) {
      for (const path of [["vpc_config", "subnet_ids"], ["route_table_ids"], ["subnet_ids"]]) {
        const was = takeList(before, path);
        const now = takeList(after, path);
        if (was) expect({ address, grew: now?.length === was.length + 1 && was.every((x) => now.includes(x)) }).toEqual({ address, grew: true });
      }
      expect({ address, rest: after }).toEqual({ address, rest: before });
    }
  });
});

describe("subnet layout", () => {
  test("16 fixed slots: public subnets in the lower half, private ones in the upper half", () => {
    expect(planSubnets("10.40.0.0/20", ["eu-west-1a", "eu-west-1b"])).toEqual([
      { az: "eu-west-1a", publicCidr: "10.40.0.0/24", privateCidr: "10.40.8.0/24" },
      { az: "eu-west-1b", publicCidr: "10.40.1.0/24", privateCidr: "10.40.9.0/24" },
    ]);
  });

  test("a zone's subnets do not depend on how many zones there are", () => {
    const azs = ["a", "b", "c", "d", "e", "f"];
    const six = planSubnets("10.42.0.0/19", azs);
    for (let n = 1; n <= 6; n++) expect(planSubnets("10.42.0.0/19", azs.slice(0, n))).toEqual(six.slice(0, n));
  });

  test("the smallest VPC (/24) still gives AWS's smallest subnets (/28)", () => {
    expect(planSubnets("192.168.10.0/24", ["a", "b", "c", "d", "e", "f"]).at(-1)).toEqual({ az: "f", publicCidr: "192.168.10.80/28", privateCidr: "192.168.10.208/28" });
  });
});
