import { readFileSync } from "node:fs";
import path from "node:path";
import { validateAction, validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { sampleEnv, synthStacks } from "../support/synth-app";
import { allUses, PINNED_ACTIONS, readWorkflow, ROOT_DIR, withoutGenesysClientSecrets, type Job } from "../support/workflow";

const { source, workflow } = readWorkflow(".github/workflows/plan.yml");
const jobs = workflow.jobs;
const reusable = readWorkflow(".github/workflows/terraform-plan.yml");
const synthJob = reusable.workflow.jobs.synth!;
const planJob = reusable.workflow.jobs.plan!;
const operations = readFileSync(path.join(ROOT_DIR, "docs/operations.md"), "utf8");

describe("pull-request plan workflow", () => {
  test("is valid against the GitHub Actions workflow schema, and so are the reusable plan workflow and the local action", () => {
    expect(validateWorkflow(source).errors).toEqual([]);
    expect(validateWorkflow(reusable.source).errors).toEqual([]);
    expect(validateAction(readFileSync(path.join(ROOT_DIR, ".github/actions/setup/action.yml"), "utf8")).errors).toEqual([]);
  });

  test("the validator does reject a broken workflow (guards the check above)", () => {
    expect(validateWorkflow("on: pull_request\njobs:\n  plan:\n    runs-on: 3\n").errors.length).toBeGreaterThan(0);
  });

  test("runs on pull requests", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
    expect(Object.keys(reusable.workflow.on)).toEqual(["workflow_call"]);
  });

  test("grants nothing at the top; each job gets only what it needs, and only the plan job may mint OIDC tokens", () => {
    expect(workflow.permissions).toEqual({});
    expect(reusable.workflow.permissions).toEqual({});
    expect(jobs.test!.permissions).toEqual({ contents: "read" });
    // The pull request's own checks: lint (failing on any warning), then the tests.
    expect(jobs.test!.steps.filter((s) => s.run).map((s) => s.run)).toEqual(["npm run lint", "npm test -- --ci"]);
    expect(jobs.environments!.permissions).toEqual({ contents: "read" });
    expect(jobs.plan!.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(synthJob.permissions).toEqual({ contents: "read" });
    expect(planJob.permissions).toEqual({ "id-token": "write" });
    expect(jobs.comment!.permissions).toEqual({ "pull-requests": "write" });
    const withIdToken = Object.entries(jobs).filter(([, job]) => job.permissions?.["id-token"]).map(([name]) => name);
    expect(withIdToken).toEqual(["plan"]);
    expect(Object.entries(reusable.workflow.jobs).filter(([, job]) => job.permissions?.["id-token"]).map(([name]) => name)).toEqual(["plan"]);
  });

  test("the pull request's code runs only in jobs without credentials: synth uploads JSON, the plan job takes it", () => {
    for (const [name, job] of [["test", jobs.test!], ["environments", jobs.environments!], ["synth", synthJob]] as const) {
      expect({ name, environment: job.environment }).toEqual({ name, environment: undefined });
      expect({ name, text: JSON.stringify(job) }).not.toEqual({ name, text: expect.stringMatching(/secrets\.|id-token|vars\.AWS_|vars\.AZURE_/) });
    }
    expect(synthJob.steps.find((s) => s.run === "npm run synth")?.env).toEqual({ GCV_ENVIRONMENTS: "${{ inputs.environment }}", GCV_CONFIG_FILE: "${{ vars.GCV_CONFIG_FILE }}" });
    expect(synthJob.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"))?.with).toMatchObject({ name: "stacks-${{ inputs.environment }}", path: "cdktf.out/stacks/" });
    expect(planJob.needs).toBe("synth");
    expect(jobs.plan).toMatchObject({ needs: ["test", "environments"], uses: "./.github/workflows/terraform-plan.yml", secrets: "inherit" });
    expect(planJob.steps[0]).toMatchObject({ uses: PINNED_USE("actions/download-artifact"), with: { name: "stacks-${{ inputs.environment }}", path: "stacks" } });
  });

  test("the credentialed job runs only pinned, trusted code: no checkout, no local action, no npm or node", () => {
    const uses = planJob.steps.filter((s) => s.uses).map((s) => s.uses!.split("@")[0]);
    expect(uses).toEqual(["actions/download-artifact", "hashicorp/setup-terraform", "aws-actions/configure-aws-credentials", "azure/login", "actions/upload-artifact", "actions/upload-artifact"]);
    const scripts = planJob.steps.map((s) => s.run ?? "").join("\n");
    expect(scripts).not.toMatch(/\b(npm|npx|node|cdktf|yarn|pnpm|bash \.\/|\.\/scripts)\b/);
    expect(scripts).toContain('terraform -chdir="$dir" plan -input=false -lock=false -no-color -out=tfplan');
    // The check comes before any credential is obtained.
    const names = planJob.steps.map((s) => s.name ?? s.uses ?? "");
    expect(names.findIndex((n) => n.startsWith("Check that the synthesized stacks"))).toBeLessThan(names.findIndex((n) => n.includes("AWS credentials")));
  });

  test("the plan job accepts exactly the providers the stacks declare, at their pinned versions", () => {
    const check = planJob.steps.find((s) => s.name?.startsWith("Check that the synthesized stacks"))!;
    const allowed = JSON.parse(check.env!.ALLOWED_PROVIDERS!) as Array<{ source: string; version: string }>;
    const stacks = synthStacks([sampleEnv("dev"), sampleEnv("dev", { name: "devsas", azure: { writerAuth: "sas", storageAccountName: "gcvaultdevsas1" } } as never)]);
    const declared = new Map<string, { source: string; version: string }>();
    for (const stack of Object.values(stacks)) {
      for (const p of Object.values(stack.terraform.required_providers) as Array<{ source: string; version: string }>) {
        const source = p.source.includes("/") ? p.source.toLowerCase() : `hashicorp/${p.source.toLowerCase()}`;
        declared.set(source, { source, version: p.version });
      }
    }
    const bySource = (a: { source: string }, b: { source: string }) => a.source.localeCompare(b.source);
    expect([...allowed].sort(bySource)).toEqual([...declared.values()].sort(bySource));
    expect(check.run).toContain('(has("module") | not)');
    expect(check.run).toContain('select(has("provisioner"))');
    expect(check.run).toContain('keys - ["s3", "azurerm", "local"]');
  });

  test("gets cloud credentials through OIDC for the plan identities and stores no long-lived keys", () => {
    for (const text of [source, reusable.source]) expect(withoutGenesysClientSecrets(text)).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|ARM_CLIENT_SECRET|secrets\.(?!inherit)/);
    expect(planJob.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))?.with).toEqual({ "role-to-assume": "${{ vars.AWS_PLAN_ROLE_ARN }}", "aws-region": "${{ vars.AWS_REGION }}" });
    expect(planJob.steps.find((s) => s.uses?.startsWith("azure/login"))?.with).toHaveProperty("client-id", "${{ vars.AZURE_CLIENT_ID }}");
    expect(planJob.steps.find((s) => s.name?.startsWith("Plan "))?.env).toMatchObject({ ARM_USE_OIDC: "true", ARM_CLIENT_ID: "${{ vars.AZURE_CLIENT_ID }}" });
  });

  test("plans in the <env>-plan GitHub environment, which requires a reviewer in every environment, dev included", () => {
    expect(planJob.environment).toBe("${{ inputs.environment }}-plan");
    expect(operations).toContain("repo:<org>/<repo>:environment:<env>-plan");
    expect(operations).toMatch(/\| `<env>-plan` \| \*\*required reviewers\*\* in every environment, `dev-plan` included/);
    expect(operations).not.toMatch(/`dev-plan`: none/);
  });

  test("deploy roles trust only the <env> environment, whose tokens GitHub issues only to main", () => {
    expect(operations).toContain('"token.actions.githubusercontent.com:sub": "repo:<org>/<repo>:environment:<env>"');
    expect(operations).toMatch(/\| `<env>` \| [^\n]*deployment branch `main` only/);
  });

  test("checks out without persisting the token, and pins every action (also inside the local action and the reusable workflow) to a commit", () => {
    for (const [name, job] of [...Object.entries(jobs), ...Object.entries(reusable.workflow.jobs)] as Array<[string, Job]>) {
      const checkout = job.steps?.find((s) => s.uses?.startsWith("actions/checkout"));
      if (checkout) expect({ name, persist: checkout.with?.["persist-credentials"] }).toEqual({ name, persist: false });
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
    expect(jobs.plan!.with).toEqual({ environment: "${{ matrix.environment }}", stacks: "${{ join(matrix.stacks, ' ') }}" });
    expect(jobs.environments!.steps.map((s) => s.run ?? "").join("\n")).toContain("scripts/ci-environments.ts");
    expect(planJob.steps.find((s) => s.name?.startsWith("Plan "))?.run).toContain("for stack in $STACKS; do");
  });

  test("posts the plan summaries on the pull request from a job without cloud credentials", () => {
    const steps = jobs.comment!.steps as Array<{ uses?: string; with?: { script?: string; pattern?: string } }>;
    expect(steps.find((s) => s.uses?.startsWith("actions/download-artifact"))?.with?.pattern).toBe("plan-summary-*");
    expect(steps.find((s) => s.uses?.startsWith("actions/github-script"))?.with?.script).toContain("issues.createComment");
    expect(planJob.steps.find((s) => s.uses?.startsWith("actions/upload-artifact") && (s.with as any)?.name === "plan-summary-${{ inputs.environment }}")).toBeDefined();
  });

  test("pins Terraform to the version the project uses, in every job that runs it", () => {
    const pinned = readFileSync(path.join(ROOT_DIR, ".terraform-version"), "utf8").trim();
    const setup = readFileSync(path.join(ROOT_DIR, ".github/actions/setup/action.yml"), "utf8");
    expect(setup).toContain(`terraform_version: ${pinned}`);
    const deploy = readWorkflow(".github/workflows/deploy.yml").workflow.jobs.deploy!;
    for (const job of [planJob, deploy]) expect(job.steps.find((s) => s.uses?.startsWith("hashicorp/setup-terraform"))?.with).toEqual({ terraform_version: pinned, terraform_wrapper: false });
    expect(parse(source).jobs.test.steps.find((s: { uses?: string }) => s.uses === "./.github/actions/setup")?.with).toEqual({ terraform: "true" });
  });
});

function PINNED_USE(action: string): string {
  return `${action}@${PINNED_ACTIONS[action]}`;
}
