import { validateWorkflow } from "@action-validator/core";
import { applyDefaults } from "../../config/defaults";
import { sampleEnvironments } from "../../config/environments";
import { ConfigError } from "../../config/validate";
import { environmentMatrix } from "../../scripts/ci-environments";
import { deploymentOrder } from "../../stacks/environment";
import { synthStacks } from "../support/synth-app";
import { allUses, PINNED_ACTIONS, readWorkflow, withoutGenesysClientSecrets, type Job } from "../support/workflow";

const { source, workflow } = readWorkflow(".github/workflows/deploy.yml");
const plan = readWorkflow(".github/workflows/plan.yml").workflow;
const jobs = workflow.jobs;
const envs = sampleEnvironments.map(applyDefaults);

describe("deploy workflow", () => {
  test("is valid against the GitHub Actions workflow schema", () => {
    expect(validateWorkflow(source).errors).toEqual([]);
  });

  test("runs on pushes to main, on demand for a chosen environment, and on a weekly schedule", () => {
    expect(workflow.on.push).toEqual({ branches: ["main"] });
    expect(workflow.on.workflow_dispatch.inputs.environment).toMatchObject({ type: "string", required: false });
    expect(workflow.on.schedule).toEqual([{ cron: "17 4 * * 1" }]);
  });

  test("takes its environments from the configuration, like the plan workflow, never a hard-coded list", () => {
    const list = jobs.environments!.steps.find((s) => s.id === "list")!;
    expect(list.run).toContain("scripts/ci-environments.ts --purpose \"$PURPOSE\" --only \"$ONLY\"");
    // The input reaches the shell as a variable, never pasted into the script (no injection).
    expect(list.env).toMatchObject({ ONLY: "${{ inputs.environment }}", PURPOSE: "${{ github.event_name == 'schedule' && 'credential-rotation' || 'deploy' }}" });
    expect(list.run).not.toContain("${{");
    for (const job of [jobs.plan!, jobs.deploy!, plan.jobs.plan!]) {
      expect(job.strategy?.matrix).toEqual({ include: "${{ fromJSON(needs.environments.outputs.matrix) }}" });
    }
    expect(source).not.toMatch(/\[\s*dev\s*,\s*staging\s*,\s*prod\s*\]/);
  });

  test("synthesizes without credentials, plans to saved plan files with the plan roles, and applies exactly those files", () => {
    expect(jobs.plan!.needs).toEqual(["test", "environments"]);
    expect(jobs.deploy!.needs).toEqual(["environments", "plan"]);
    expect(jobs.plan).toMatchObject({ uses: "./.github/workflows/terraform-plan.yml", with: { environment: "${{ matrix.environment }}", stacks: "${{ join(matrix.stacks, ' ') }}", "keep-plans": true } });
    const deploySteps = jobs.deploy!.steps;
    expect(deploySteps.find((s) => s.uses?.startsWith("actions/download-artifact"))).toMatchObject({ with: { name: "plans-${{ matrix.environment }}", path: "plans/stacks" } });
    expect(deploySteps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))?.with?.["role-to-assume"]).toBe("${{ vars.AWS_DEPLOY_ROLE_ARN }}");
    const apply = deploySteps.find((s) => s.name?.startsWith("Apply the saved plans"))!;
    expect(apply.env?.STACKS).toBe("${{ join(matrix.stacks, ' ') }}");
    expect(apply.run).toContain("sha256sum -c SHA256SUMS");
    expect(apply.run).toContain('terraform -chdir="$dir" apply -input=false -no-color tfplan');
    expect(apply["working-directory"]).toBe("plans");
    // Nothing in the apply job synthesizes, plans or approves by itself: the reviewed plan or nothing.
    // It checks out main (trusted: deploy runs from main only) for the read-only Genesys preflight.
    const applyStep = JSON.stringify(apply);
    for (const banned of ["npm", "npx", "cdktf", "-auto-approve"]) expect({ banned, found: applyStep.includes(banned) }).toEqual({ banned, found: false });
    const applyJob = JSON.stringify(jobs.deploy);
    for (const banned of ["npm run synth", "npx cdktf", "cdktf deploy", "-auto-approve"]) expect({ banned, found: applyJob.includes(banned) }).toEqual({ banned, found: false });
    expect(applyJob).not.toMatch(/terraform\s+(-chdir=\S+\s+)?plan\b/);
  });

  test("before any stack changes, an environment with Genesys stacks checks that the deploy client holds the pipeline roles", () => {
    const steps = jobs.deploy!.steps;
    const preflight = steps.findIndex((s) => s.name === "Genesys first-deploy preflight");
    const apply = steps.findIndex((s) => s.name?.startsWith("Apply the saved plans"));
    expect(preflight).toBeGreaterThan(-1);
    expect(preflight).toBeLessThan(apply);
    expect(steps[preflight]).toMatchObject({
      if: "contains(matrix.stacks, format('{0}-genesys', matrix.environment))",
      run: 'npm run -s genesys:preflight -- --env "$GCV_ENVIRONMENTS"',
      env: { GCV_ENVIRONMENTS: "${{ matrix.environment }}", GENESYSCLOUD_OAUTHCLIENT_ID: expect.any(String), GENESYSCLOUD_OAUTHCLIENT_SECRET: expect.any(String) },
    });
  });

  test("each environment is a GitHub environment (required reviewers on prod) with its own concurrency group", () => {
    expect(jobs.deploy!.environment).toBe("${{ matrix.environment }}");
    expect(jobs.deploy!.concurrency).toEqual({ group: "deploy-${{ matrix.environment }}", "cancel-in-progress": false });
    expect(jobs.deploy!.strategy).toMatchObject({ "max-parallel": 1, "fail-fast": true });
  });

  test("job-level permissions only: OIDC for the plan and deploy jobs, read-only contents everywhere", () => {
    expect(workflow.permissions).toEqual({});
    expect(jobs.environments!.permissions).toEqual({ contents: "read" });
    expect(jobs.test!.permissions).toEqual({ contents: "read" });
    expect(jobs.plan!.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(jobs.deploy!.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(withoutGenesysClientSecrets(source)).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|ARM_CLIENT_SECRET|secrets\./);
  });

  test.each([".github/workflows/deploy.yml", ".github/workflows/verify.yml"])("%s checks out without persisting the token, and pins every action to a commit", (file) => {
    const { source, workflow } = readWorkflow(file);
    for (const job of Object.values(workflow.jobs) as Job[]) {
      const checkout = job.steps?.find((s) => s.uses?.startsWith("actions/checkout"));
      if (checkout) expect(checkout.with?.["persist-credentials"]).toBe(false);
    }
    for (const use of allUses(source)) {
      const [action, ref] = use.split("@");
      expect({ use, pinned: PINNED_ACTIONS[action!] }).toEqual({ use, pinned: ref });
    }
  });
});

describe("environment list for the workflows (scripts/ci-environments.ts)", () => {
  test("every configured environment, with <env>-genesys (where enabled) before <env>-aws before <env>-azure, and the data-action stack last", () => {
    expect(environmentMatrix(envs, "deploy")).toEqual([
      { environment: "dev", stacks: ["dev-genesys", "dev-aws", "dev-azure", "dev-genesys-actions"], vaultWriter: "federated" },
      { environment: "staging", stacks: ["staging-aws", "staging-azure"], vaultWriter: "federated" },
      { environment: "prod", stacks: ["prod-aws", "prod-azure"], vaultWriter: "federated" },
    ]);
  });

  test("the listed stacks are exactly the stacks synth creates for the environment", () => {
    const stacks = synthStacks([envs[0]!]);
    expect(Object.keys(stacks).sort()).toEqual([...deploymentOrder(envs[0]!)].sort());
  });

  test("the scheduled credential rotation re-applies only <env>-azure of SAS environments", () => {
    expect(environmentMatrix(envs, "credential-rotation")).toEqual([]);
    const withSasProd = envs.map((e) => (e.name === "prod" ? { ...e, azure: { ...e.azure, writerAuth: "sas" as const } } : e));
    expect(environmentMatrix(withSasProd, "credential-rotation")).toEqual([{ environment: "prod", stacks: ["prod-azure"], vaultWriter: "sas" }]);
  });

  test("a chosen environment narrows the list; an unknown one fails with the configured names", () => {
    expect(environmentMatrix(envs, "deploy", "prod").map((e) => e.environment)).toEqual(["prod"]);
    expect(() => environmentMatrix(envs, "deploy", "production")).toThrow(ConfigError);
    expect(() => environmentMatrix(envs, "deploy", "production")).toThrow('environment "production" is not configured (configured: dev, staging, prod)');
  });
});
