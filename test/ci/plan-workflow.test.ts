import { readFileSync } from "node:fs";
import path from "node:path";
import { validateAction, validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { allUses, PINNED_ACTIONS, readWorkflow, ROOT_DIR, withoutGenesysClientSecrets, type Job } from "../support/workflow";

const { source, workflow } = readWorkflow(".github/workflows/plan.yml");
const jobs = workflow.jobs;

describe("pull-request plan workflow", () => {
  test("is valid against the GitHub Actions workflow schema, and so are the local actions", () => {
    expect(validateWorkflow(source).errors).toEqual([]);
    for (const action of ["setup", "cloud-credentials"]) {
      expect(validateAction(readFileSync(path.join(ROOT_DIR, `.github/actions/${action}/action.yml`), "utf8")).errors).toEqual([]);
    }
  });

  test("the validator does reject a broken workflow (guards the check above)", () => {
    expect(validateWorkflow("on: pull_request\njobs:\n  plan:\n    runs-on: 3\n").errors.length).toBeGreaterThan(0);
  });

  test("runs on pull requests", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
  });

  test("grants nothing at the top; each job gets only what it needs, and only the plan job may mint OIDC tokens", () => {
    expect(workflow.permissions).toEqual({});
    expect(jobs.test!.permissions).toEqual({ contents: "read" });
    expect(jobs.environments!.permissions).toEqual({ contents: "read" });
    expect(jobs.plan!.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
    const withIdToken = Object.entries(jobs).filter(([, job]) => job.permissions?.["id-token"]).map(([name]) => name);
    expect(withIdToken).toEqual(["plan"]);
  });

  test("gets cloud credentials through OIDC and stores no long-lived keys", () => {
    expect(withoutGenesysClientSecrets(source)).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|ARM_CLIENT_SECRET|secrets\./);
    const login = jobs.plan!.steps.find((s) => s.uses === "./.github/actions/cloud-credentials");
    expect(login?.with).toMatchObject({ "aws-role-arn": "${{ vars.AWS_PLAN_ROLE_ARN }}", "azure-client-id": "${{ vars.AZURE_CLIENT_ID }}" });
    const action = parse(readFileSync(path.join(ROOT_DIR, ".github/actions/cloud-credentials/action.yml"), "utf8"));
    const steps = action.runs.steps as Array<{ uses?: string; with?: Record<string, string>; run?: string }>;
    expect(steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))?.with).toEqual({ "role-to-assume": "${{ inputs.aws-role-arn }}", "aws-region": "${{ inputs.aws-region }}" });
    expect(steps.find((s) => s.uses?.startsWith("azure/login"))?.with).toHaveProperty("client-id", "${{ inputs.azure-client-id }}");
    expect(steps.map((s) => s.run ?? "").join("\n")).toContain("ARM_USE_OIDC=true");
  });

  test("plans in the <env>-plan GitHub environment, whose roles trust only repo:<org>/<repo>:environment:<env>-plan", () => {
    expect(jobs.plan!.environment).toBe("${{ matrix.environment }}-plan");
    const operations = readFileSync(path.join(ROOT_DIR, "docs/operations.md"), "utf8");
    expect(operations).toContain("repo:<org>/<repo>:environment:<env>-plan");
    expect(operations).toMatch(/staging-plan.*prod-plan[^\n]*required reviewers|required reviewers[^\n]*staging-plan/s);
  });

  test("checks out without persisting the token, and pins every action (also inside the local actions) to a commit", () => {
    for (const [name, job] of Object.entries(jobs) as Array<[string, Job]>) {
      const checkout = job.steps.find((s) => s.uses?.startsWith("actions/checkout"));
      expect({ name, persist: checkout?.with?.["persist-credentials"] }).toEqual({ name, persist: false });
    }
    const uses = allUses(source);
    expect(uses).toEqual(expect.arrayContaining(["aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df", "azure/login@a457da9ea143d694b1b9c7c869ebb04ebe844ef5"]));
    for (const use of uses) {
      const [action, ref] = use.split("@");
      expect({ use, pinned: PINNED_ACTIONS[action!] }).toEqual({ use, pinned: ref });
    }
  });

  test("plans every stack of every configured environment, in order, from the shared environment list", () => {
    expect(jobs.plan!.needs).toEqual(["test", "environments"]);
    expect(jobs.plan!.strategy?.matrix).toEqual({ include: "${{ fromJSON(needs.environments.outputs.matrix) }}" });
    expect(jobs.environments!.steps.map((s) => s.run ?? "").join("\n")).toContain("scripts/ci-environments.ts");
    const run = jobs.plan!.steps.map((s) => s.run ?? "").join("\n");
    expect(jobs.plan!.steps.find((s) => s.id === "plan" || s.name?.startsWith("cdktf plan"))?.env?.STACKS).toBe("${{ join(matrix.stacks, ' ') }}");
    expect(run).toContain('for stack in $STACKS; do\n  npx cdktf plan "$stack" --skip-provider-lock');
  });

  test("posts the plan summary on the pull request", () => {
    const steps = jobs.plan!.steps as Array<{ uses?: string; with?: { script?: string } }>;
    expect(steps.find((s) => s.uses?.startsWith("actions/github-script"))?.with?.script).toContain("issues.createComment");
  });

  test("pins Terraform to the version the project uses", () => {
    const pinned = readFileSync(path.join(ROOT_DIR, ".terraform-version"), "utf8").trim();
    const setup = readFileSync(path.join(ROOT_DIR, ".github/actions/setup/action.yml"), "utf8");
    expect(setup).toContain(`terraform_version: ${pinned}`);
    expect(jobs.plan!.steps.find((s) => s.uses === "./.github/actions/setup")?.with).toEqual({ terraform: "true" });
  });
});
