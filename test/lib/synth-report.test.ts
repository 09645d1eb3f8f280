import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Annotations, App, TerraformStack } from "cdktf";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { formatSynthReport, synthReport } from "../../lib/synth-report";

const ROOT = path.resolve(__dirname, "..", "..");
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "synth-report-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("synthReport", () => {
  test("counts each stack's resources and data sources, collects its warnings, and removes stacks the manifest no longer lists", () => {
    const outdir = tempDir();
    mkdirSync(path.join(outdir, "stacks", "gone-aws"), { recursive: true });
    writeFileSync(path.join(outdir, "stacks", "gone-aws", "cdk.tf.json"), "{}");
    const app = new App({ outdir, stackTraces: false });
    const stack = new TerraformStack(app, "one-aws");
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    new SqsQueue(stack, "a", { name: "a" });
    new SqsQueue(stack, "b", { name: "b" });
    new DataAwsCallerIdentity(stack, "me");
    Annotations.of(stack).addWarning("mind the gap");
    app.synth();

    const report = synthReport(outdir);

    expect(report.stacks).toEqual([{ name: "one-aws", resources: 2, dataSources: 1, warnings: ["one-aws: mind the gap"], errors: [] }]);
    expect(report.removed).toEqual(["gone-aws"]);
    expect(existsSync(path.join(outdir, "stacks", "gone-aws"))).toBe(false);
    expect(existsSync(path.join(outdir, "stacks", "one-aws", "cdk.tf.json"))).toBe(true);
    expect(formatSynthReport(report)).toEqual([
      `Synthesized 1 stacks into ${path.join(outdir, "stacks")}:`,
      "  one-aws     2 resources, 1 data sources",
      "Removed stacks an earlier synth left that this one no longer has: gone-aws",
      "warning: one-aws: mind the gap",
    ]);
  });
});

describe("npm run synth", () => {
  test("prints every stack it wrote with its resource count and the construct warnings, and leaves no stale stack", () => {
    const outdir = path.join(tempDir(), "cdktf.out");
    mkdirSync(path.join(outdir, "stacks", "qa-aws"), { recursive: true });
    const out = execFileSync(process.execPath, ["--disable-warning=DEP0044", path.join(ROOT, "scripts/run-ts.mjs"), path.join(ROOT, "main.ts")], {
      cwd: ROOT,
      env: { ...process.env, CDKTF_OUTDIR: outdir, GCV_ENVIRONMENTS: "dev" },
      encoding: "utf8",
    });
    expect(out).toContain(`Synthesized 4 stacks into ${path.join(outdir, "stacks")}:`);
    for (const stack of ["dev-aws", "dev-azure", "dev-genesys", "dev-genesys-actions"]) expect(out).toMatch(new RegExp(`^  ${stack} +\\d+ resources`, "m"));
    expect(out).toContain("Removed stacks an earlier synth left that this one no longer has: qa-aws");
    expect(existsSync(path.join(outdir, "stacks", "qa-aws"))).toBe(false);
  });
});
