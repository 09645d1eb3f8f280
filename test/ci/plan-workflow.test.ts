import { readFileSync } from "node:fs";
import path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { sampleEnvironments } from "../../config/environments";

const file = path.resolve(__dirname, "../../.github/workflows/plan.yml");
const source = readFileSync(file, "utf8");
const workflow = parse(source);

describe("pull-request plan workflow", () => {
  test("is valid against the GitHub Actions workflow schema", () => {
    expect(validateWorkflow(source).errors).toEqual([]);
  });

  test("the validator does reject a broken workflow (guards the check above)", () => {
    expect(validateWorkflow("on: pull_request\njobs:\n  plan:\n    runs-on: 3\n").errors.length).toBeGreaterThan(0);
  });

  test("runs on pull requests", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
  });

  test("gets cloud credentials through OIDC and stores no long-lived keys", () => {
    expect(workflow.permissions["id-token"]).toBe("write");
    expect(source).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|ARM_CLIENT_SECRET|secrets\./);
    const steps = workflow.jobs.plan.steps as Array<{ uses?: string; with?: Record<string, string> }>;
    expect(steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))?.with).toHaveProperty("role-to-assume");
    expect(steps.find((s) => s.uses?.startsWith("azure/login"))?.with).toHaveProperty("client-id");
  });

  test("plans both stacks of every configured environment", () => {
    expect(workflow.jobs.plan.strategy.matrix.environment).toEqual(sampleEnvironments.map((e) => e.name));
    const run = (workflow.jobs.plan.steps as Array<{ run?: string }>).map((s) => s.run ?? "").join("\n");
    expect(run).toContain('"${{ matrix.environment }}-aws" "${{ matrix.environment }}-azure"');
    expect(run).toContain("npx cdktf plan \"$stack\" --skip-provider-lock");
  });

  test("posts the plan summary on the pull request", () => {
    const steps = workflow.jobs.plan.steps as Array<{ uses?: string; with?: { script?: string } }>;
    expect(steps.find((s) => s.uses?.startsWith("actions/github-script"))?.with?.script).toContain("issues.createComment");
    expect(workflow.permissions["pull-requests"]).toBe("write");
  });

  test("pins Terraform to the version the project uses", () => {
    const pinned = readFileSync(path.resolve(__dirname, "../../.terraform-version"), "utf8").trim();
    const setup = (workflow.jobs.plan.steps as Array<{ uses?: string; with?: Record<string, string> }>).find((s) => s.uses?.startsWith("hashicorp/setup-terraform"));
    expect(String(setup?.with?.terraform_version)).toBe(pinned);
  });
});
