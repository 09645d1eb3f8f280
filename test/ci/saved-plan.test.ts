/**
 * Runs the plan and apply scripts of the workflows (taken from the YAML, unchanged) with the
 * real Terraform CLI on two small stacks that use only Terraform's built-in provider, so no
 * network is needed: the second reads the first's output through terraform_remote_state, as
 * <env>-azure reads <env>-aws.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readWorkflow, type Step } from "../support/workflow";

const terraform = spawnSync("terraform", ["version"], { encoding: "utf8" });
const available = terraform.status === 0;
if (!available && process.env.CI) throw new Error("terraform is not installed: the CI test job installs it (.github/actions/setup, terraform: true)");
const describeWithTerraform = available ? describe : describe.skip;

const stepOf = (file: string, job: string, prefix: string): Step => {
  const step = readWorkflow(file).workflow.jobs[job]!.steps.find((s) => s.name?.startsWith(prefix));
  if (!step?.run) throw new Error(`${file}: no step "${prefix}..." in job ${job}`);
  return step;
};
const planScript = stepOf(".github/workflows/terraform-plan.yml", "plan", "Plan ").run!;
const applyScript = stepOf(".github/workflows/deploy.yml", "deploy", "Apply the saved plans").run!;

/** A workspace laid out as the plan job sees it: stacks/<name>/cdk.tf.json, state outside. */
function workspace(upstreamValue: string) {
  const ws = mkdtempSync(path.join(tmpdir(), "gcv-saved-plan-"));
  const state = (stack: string) => path.join(ws, "state", `${stack}.tfstate`);
  mkdirSync(path.join(ws, "state"));
  const write = (stack: string, doc: object) => {
    mkdirSync(path.join(ws, "stacks", stack), { recursive: true });
    writeFileSync(path.join(ws, "stacks", stack, "cdk.tf.json"), JSON.stringify(doc));
  };
  const upstream = (value: string) =>
    write("env-up", {
      terraform: { backend: { local: { path: state("env-up") } } },
      resource: { terraform_data: { endpoint: { input: value } } },
      output: { endpoint: { value: "${terraform_data.endpoint.output}" } },
    });
  upstream(upstreamValue);
  write("env-down", {
    terraform: { backend: { local: { path: state("env-down") } } },
    data: { terraform_remote_state: { "cross-stack-reference-input-env-up": { backend: "local", config: { path: state("env-up") } } } },
    resource: { terraform_data: { allowlist: { input: "${data.terraform_remote_state.cross-stack-reference-input-env-up.outputs.endpoint}" } } },
  });
  return { ws, upstream, state };
}

function run(ws: string, script: string) {
  const summary = path.join(ws, "summary.txt");
  const result = spawnSync("bash", ["-c", script], {
    cwd: ws,
    encoding: "utf8",
    env: { ...process.env, STACKS: "env-up env-down", ENVIRONMENT: "env", GITHUB_STEP_SUMMARY: summary, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" },
  });
  return { status: result.status, out: result.stdout + result.stderr, summary: existsSync(summary) ? readFileSync(summary, "utf8") : "" };
}

/** The input of the stack's one terraform_data resource, as its state records it. */
const stateValue = (file: string) =>
  (JSON.parse(readFileSync(file, "utf8")).resources as Array<{ mode: string; instances: Array<{ attributes: { input: { value: string } } }> }>).find((r) => r.mode === "managed")!.instances[0]!.attributes.input.value;

describeWithTerraform("saved plans: the apply runs exactly the reviewed plan, or nothing", () => {
  jest.setTimeout(120_000);

  test("a stack that reads outputs the run changes is not planned, and the apply skips it instead of planning it", () => {
    const { ws, state } = workspace("https://a.example");
    const plan = run(ws, planScript);
    expect(plan.status).toBe(0);
    expect(readFileSync(path.join(ws, "summary.md"), "utf8")).toContain("**env-down**: not planned: it reads outputs of env-up, which this run changes");
    expect(existsSync(path.join(ws, "stacks/env-up/tfplan"))).toBe(true);
    expect(existsSync(path.join(ws, "stacks/env-down/tfplan"))).toBe(false);
    const apply = run(ws, applyScript);
    expect(apply.status).toBe(0);
    expect(apply.summary).toContain("**env-up**: applied the saved plan");
    expect(apply.summary).toContain("**env-down**: not planned in this run");
    expect(stateValue(state("env-up"))).toBe("https://a.example");
    expect(existsSync(state("env-down"))).toBe(false);
  });

  test("a saved plan whose state changed after it was made is refused, not re-planned", () => {
    const { ws, upstream, state } = workspace("https://a.example");
    // First run: env-up only; second run plans env-down against the applied output.
    run(ws, planScript);
    run(ws, applyScript);
    execFileSync("bash", ["-c", "rm -f stacks/*/tfplan stacks/SHA256SUMS"], { cwd: ws });
    expect(run(ws, planScript).status).toBe(0);
    expect(existsSync(path.join(ws, "stacks/env-down/tfplan"))).toBe(true);
    // Someone applies env-down another way between the plan and the apply.
    const other = path.join(ws, "other");
    mkdirSync(other);
    const down = JSON.parse(readFileSync(path.join(ws, "stacks/env-down/cdk.tf.json"), "utf8"));
    down.resource.terraform_data.allowlist.input = "changed elsewhere";
    writeFileSync(path.join(other, "main.tf.json"), JSON.stringify(down));
    execFileSync("bash", ["-c", "terraform init -input=false >/dev/null && terraform apply -input=false -auto-approve >/dev/null"], { cwd: other });
    upstream("https://b.example"); // and the configuration moved on too: nothing may re-synthesize or re-plan it

    const apply = run(ws, applyScript);
    expect(apply.status).not.toBe(0);
    expect(apply.out).toContain("Saved plan is stale");
    expect(stateValue(state("env-down"))).toBe("changed elsewhere");
    expect(stateValue(state("env-up"))).toBe("https://a.example");
  });

  test("a plan file changed after the plan job wrote it is refused before anything is applied", () => {
    const { ws, state } = workspace("https://a.example");
    run(ws, planScript);
    writeFileSync(path.join(ws, "stacks/env-up/tfplan"), "not the reviewed plan");
    const apply = run(ws, applyScript);
    expect(apply.status).not.toBe(0);
    expect(apply.out).toMatch(/env-up\/tfplan: FAILED/);
    expect(existsSync(state("env-up"))).toBe(false);
  });
});
