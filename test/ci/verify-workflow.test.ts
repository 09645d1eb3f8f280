import { execFileSync } from "node:child_process";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { alarmTopicArnOf, type OpsInventory } from "../../constructs/observability/ops-inventory";
import { sampleEnv, synthEnvironments } from "../support/synth-app";
import { readWorkflow, withoutGenesysClientSecrets, type Job } from "../support/workflow";

const { source, workflow } = readWorkflow(".github/workflows/verify.yml");
const jobs = workflow.jobs;
const deploy = readWorkflow(".github/workflows/deploy.yml");
const stepIndex = (job: Job, match: (s: Job["steps"][number]) => boolean) => job.steps.findIndex(match);

describe("verify workflow (daily live verification)", () => {
  test("is valid against the GitHub Actions workflow schema", () => {
    expect(validateWorkflow(source).errors).toEqual([]);
  });

  test("runs daily and on demand for a chosen environment, over the configured environments", () => {
    expect(workflow.on.schedule).toEqual([{ cron: "23 5 * * *" }]);
    expect(workflow.on.workflow_dispatch.inputs.environment).toMatchObject({ type: "string", required: false });
    const list = jobs.environments!.steps.find((s) => s.id === "list")!;
    expect(list.run).toContain('scripts/ci-environments.ts --purpose deploy --only "$ONLY"');
    expect(list.env).toMatchObject({ ONLY: "${{ inputs.environment }}" });
    expect(jobs.verify!.strategy).toEqual({ "fail-fast": false, matrix: { include: "${{ fromJSON(needs.environments.outputs.matrix) }}" } });
    expect(jobs.verify!.needs).toEqual(["environments"]);
  });

  test("grants nothing at the top; OIDC only for the verify job, in its own <env>-verify GitHub environment with the verify role", () => {
    expect(workflow.permissions).toEqual({});
    expect(jobs.environments!.permissions).toEqual({ contents: "read" });
    expect(jobs.verify!.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(jobs.verify!.environment).toBe("${{ matrix.environment }}-verify");
    const credentials = jobs.verify!.steps.find((s) => s.uses === "./.github/actions/cloud-credentials")!;
    expect(credentials.with?.["aws-role-arn"]).toBe("${{ vars.AWS_VERIFY_ROLE_ARN }}");
    expect(withoutGenesysClientSecrets(source)).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|ARM_CLIENT_SECRET|secrets\./);
  });

  test("synthesizes, then verifies (a failed check fails the job), then notifies the alarm topic only on failure", () => {
    const job = jobs.verify!;
    const creds = stepIndex(job, (s) => s.uses === "./.github/actions/cloud-credentials");
    const synth = stepIndex(job, (s) => s.run === "npm run synth");
    const verify = stepIndex(job, (s) => s.run?.includes("npm run --silent verify") ?? false);
    const notify = stepIndex(job, (s) => s.run?.includes("aws sns publish") ?? false);
    expect([creds, synth, verify, notify].every((i) => i >= 0)).toBe(true);
    expect(creds < synth && synth < verify && verify < notify).toBe(true);
    expect(job.steps[synth]!.env?.GCV_ENVIRONMENTS).toBe("${{ matrix.environment }}");
    expect(job.steps[verify]!.run).toMatch(/^set -o pipefail\nnpm run --silent verify -- --env "\$ENVIRONMENT" \| tee verify\.txt/);
    expect(job.steps[verify]).not.toHaveProperty("continue-on-error");
    expect((job.steps[notify] as { if?: string }).if).toBe("failure()");
    expect(job.steps[notify]!.run).toContain('aws sns publish --topic-arn "$topic"');
    // Inputs reach the shell as variables, never pasted into a script (no injection).
    for (const step of job.steps) expect(step.run ?? "").not.toContain("${{");
  });

  test("the notification goes to the environment's alarm topic, read from the synthesized inventory", () => {
    const { app, stacks } = synthEnvironments([sampleEnv("prod")]);
    const notify = jobs.verify!.steps.find((s) => s.run?.includes("aws sns publish"))!;
    const script = /topic=\$\(node -e '([^']+)'\)/.exec(notify.run!)![1]!;
    const cwd = mkdtempSync(path.join(tmpdir(), "verify-notify-"));
    symlinkSync(app.outdir, path.join(cwd, "cdktf.out"));
    const topic = execFileSync(process.execPath, ["-e", script], { cwd, env: { ENVIRONMENT: "prod" } }).toString().trim();
    expect(topic).toBe(alarmTopicArnOf(stacks["prod-aws"]!.output!.ops_inventory!.value as OpsInventory));
    expect(topic).toBe("arn:aws:sns:eu-west-1:333333333333:gcv-prod-alarms");
  });
});

describe("deploy workflow: live verification after each environment's apply", () => {
  const job = deploy.workflow.jobs.deploy!;

  test("after the apply, switches to the verify role and runs npm run verify; a failed check fails the job", () => {
    const apply = stepIndex(job, (s) => s.name?.startsWith("Apply the saved plans") ?? false);
    const role = stepIndex(job, (s) => s.name === "Verify role");
    const verify = stepIndex(job, (s) => s.run?.includes("npm run --silent verify") ?? false);
    expect(apply).toBeGreaterThanOrEqual(0);
    expect(apply < role && role < verify).toBe(true);
    expect(job.steps[role]!.with).toEqual({ "role-to-assume": "${{ vars.AWS_VERIFY_ROLE_ARN }}", "aws-region": "${{ vars.AWS_REGION }}" });
    // Only where the run applied <env>-aws (its stack names what to verify): not after the weekly SAS rotation of <env>-azure alone.
    for (const step of [job.steps[role]!, job.steps[verify]!]) expect(step.if).toBe("contains(matrix.stacks, format('{0}-aws', matrix.environment))");
    expect(job.steps[verify]!.run).toMatch(/^set -o pipefail\n(#.*\n)?npm run --silent verify -- --env "\$ENVIRONMENT" \| tee verify\.txt/);
    expect(job.steps[verify]!.env).toMatchObject({ ENVIRONMENT: "${{ matrix.environment }}", GCV_SYNTH_DIR: "plans", GENESYS_VERIFY_CLIENT_ID: "${{ secrets.GENESYS_VERIFY_CLIENT_ID }}" });
    expect(job.steps[verify]).not.toHaveProperty("continue-on-error");
    expect(job.steps[verify]!.run).not.toContain("${{");
  });
});
