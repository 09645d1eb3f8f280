import { GenesysClient } from "../../functions/shared/genesys-client";
import { checkDeployClientRoles, runPreflight } from "../../scripts/genesys-preflight";
import { type GenesysFake, startGenesysFake } from "../support/genesys-fake";
import { sampleEnv } from "../support/synth-app";

let fake: GenesysFake;
beforeEach(async () => {
  fake = await startGenesysFake();
});
afterEach(() => fake.close());

const dev = sampleEnv("dev");
const PIPELINE_ROLES = ["gcv-dev-config-sync", "gcv-dev-interaction", "gcv-dev-transcript-vault"];

/** Runs the command as the deploy workflow does, against the fake; returns the exit code and what it printed. */
async function preflight(extraEnv: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPreflight(
    ["--env", "dev"],
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    {
      GENESYSCLOUD_OAUTHCLIENT_ID: fake.credentials.clientId,
      GENESYSCLOUD_OAUTHCLIENT_SECRET: fake.credentials.clientSecret,
      GENESYS_API_BASE_URL: fake.baseUrl,
      GENESYS_LOGIN_BASE_URL: fake.baseUrl,
      ...extraEnv,
    },
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}
const onlyReads = () => fake.requests.filter((r) => r.route !== "token").every((r) => r.method === "GET");

describe("genesys:preflight: the deploy client must hold every pipeline role before <env>-genesys is applied", () => {
  test("first deploy (no role yet): fails before any change, with the targeted role apply, the admin step and the re-check", async () => {
    const { code, err } = await preflight();
    expect(code).toBe(1);
    expect(err).toContain(`dev-genesys cannot be applied yet: the deploy client "client ${fake.credentials.clientId}"`);
    expect(err).toContain("The roles must also already be assigned to the OAuth Client used by Terraform");
    expect(err).toContain("Nothing has been changed.");
    expect(err).toContain(
      "terraform -chdir=cdktf.out/stacks/dev-genesys apply -target=genesyscloud_auth_role.transcript-vault-role -target=genesyscloud_auth_role.interaction-role -target=genesyscloud_auth_role.config-sync-role",
    );
    expect(err).toMatch(/2\. As a Genesys admin: Admin > Integrations > OAuth > ".+" > Roles: add gcv-dev-transcript-vault, gcv-dev-interaction, gcv-dev-config-sync in the home division/);
    expect(err).toContain("3. Run this check again (npm run genesys:preflight -- --env dev), then deploy.");
    expect(onlyReads()).toBe(true);
  });

  test("the roles exist but one is not held: only the admin step, naming that role and its id", async () => {
    const ids = Object.fromEntries(PIPELINE_ROLES.map((name) => [name, fake.addRole(name)]));
    fake.assignRole(fake.credentials.clientId, ids["gcv-dev-config-sync"]!);
    fake.assignRole(fake.credentials.clientId, ids["gcv-dev-transcript-vault"]!);
    const { code, err } = await preflight();
    expect(code).toBe(1);
    expect(err).not.toContain("terraform -chdir");
    expect(err).toContain(`1. As a Genesys admin: Admin > Integrations > OAuth > "client ${fake.credentials.clientId}" > Roles: add gcv-dev-interaction (${ids["gcv-dev-interaction"]}) in the home division`);
  });

  test("every role held: ready, exit 0, and the deploy goes on", async () => {
    for (const name of PIPELINE_ROLES) fake.assignRole(fake.credentials.clientId, fake.addRole(name), "another-division");
    const { code, out } = await preflight();
    expect(code).toBe(0);
    expect(out).toContain("dev-genesys: the deploy client");
    expect(out).toContain("holds every pipeline role (gcv-dev-transcript-vault, gcv-dev-interaction, gcv-dev-config-sync); ready to apply.");
  });

  test("a held role whose name merely contains the pipeline role's name does not count", async () => {
    for (const name of PIPELINE_ROLES) fake.assignRole(fake.credentials.clientId, fake.addRole(`${name}-old`));
    const report = await checkDeployClientRoles(dev, fake.credentials.clientId, new GenesysClient({ domain: "x", apiBaseUrl: fake.baseUrl, loginBaseUrl: fake.baseUrl, credentials: async () => fake.credentials }));
    expect(report.ready).toBe(false);
    expect(report.roles.map((r) => [r.name, r.id, r.held])).toEqual([
      ["gcv-dev-transcript-vault", undefined, false],
      ["gcv-dev-interaction", undefined, false],
      ["gcv-dev-config-sync", undefined, false],
    ]);
  });

  test("only the roles of deployed pipelines are checked (no config-sync role without sync rules)", async () => {
    const env = sampleEnv("dev", { pipelines: { configSync: { rules: [] } } } as any);
    const report = await checkDeployClientRoles(env, fake.credentials.clientId, new GenesysClient({ domain: "x", apiBaseUrl: fake.baseUrl, loginBaseUrl: fake.baseUrl, credentials: async () => fake.credentials }));
    expect(report.roles.map((r) => r.name)).toEqual(["gcv-dev-transcript-vault", "gcv-dev-interaction"]);
  });

  test("an environment without Genesys stacks passes without calling Genesys", async () => {
    const { code, out } = await preflight({ GCV_DEV_GENESYS_STACK_ENABLED: "false" });
    expect(code).toBe(0);
    expect(out).toBe("dev: genesysStack is off; there is no Genesys stack to check.");
    expect(fake.requests).toEqual([]);
  });

  test("a deploy client that may not read OAuth clients gets exit 3 and the permissions it needs", async () => {
    fake.failNext("oauthClient", [{ status: 403, code: "missing.permissions" }]);
    const { code, err } = await preflight();
    expect(code).toBe(3);
    expect(err).toContain("the deploy client needs oauth:client:view and authorization:role:view");
  });

  test("missing credentials or environment are bad input (exit 2) and call nothing", async () => {
    expect((await preflight({ GENESYSCLOUD_OAUTHCLIENT_SECRET: "" })).code).toBe(2);
    const out: string[] = [];
    expect(await runPreflight(["--env", "nope"], { out: (l) => out.push(l), err: (l) => out.push(l) }, {})).toBe(2);
    expect(out).toEqual(['genesys:preflight: no environment named "nope"']);
    expect(fake.requests).toEqual([]);
  });
});
