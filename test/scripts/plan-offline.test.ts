import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { awsStacksOf } from "../../scripts/synth-output";

const ROOT = path.resolve(__dirname, "../..");

describe("plan:offline plans only the stacks just synthesized", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "gcv-plan-stacks-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("a stale folder in stacks/ is not planned: the manifest decides", () => {
    for (const s of ["dev-aws", "dev-azure", "old-aws"]) mkdirSync(path.join(dir, "stacks", s), { recursive: true });
    writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ stacks: { "dev-azure": {}, "dev-aws": {} }, version: "0.21.0" }));
    expect(awsStacksOf(dir)).toEqual(["dev-aws"]);
  });

  test("GCV_ENVIRONMENTS selects what the synthesis writes, and so what is planned", () => {
    const outdir = path.join(dir, "out");
    const synth = spawnSync(process.execPath, ["--disable-warning=DEP0044", path.join(ROOT, "scripts/run-ts.mjs"), path.join(ROOT, "main.ts")], {
      cwd: ROOT,
      env: { ...process.env, CDKTF_OUTDIR: outdir, GCV_ENVIRONMENTS: "dev,prod" },
      encoding: "utf8",
    });
    expect(synth.stderr).toBe("");
    expect(synth.status).toBe(0);
    expect(awsStacksOf(outdir)).toEqual(["dev-aws", "prod-aws"]);
  }, 60_000);
});

describe("plan:offline without terraform", () => {
  const run = (ci: string | undefined) => {
    const emptyPath = mkdtempSync(path.join(tmpdir(), "gcv-no-terraform-"));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: emptyPath };
      if (ci === undefined) delete env.CI;
      else env.CI = ci;
      return spawnSync(process.execPath, ["--disable-warning=DEP0044", path.join(ROOT, "scripts/run-ts.mjs"), path.join(ROOT, "scripts/plan-offline.ts")], { cwd: ROOT, env, encoding: "utf8" });
    } finally {
      rmSync(emptyPath, { recursive: true, force: true });
    }
  };

  test("on a developer's machine: skipped with the reason, exit 0", () => {
    const r = run(undefined);
    expect(r.stdout).toContain("plan:offline SKIPPED: terraform is not on PATH");
    expect(r.status).toBe(0);
  });

  test("in CI: a failure, not a silent skip", () => {
    const r = run("true");
    expect(r.stderr).toContain("plan:offline FAILED: terraform is not on PATH");
    expect(r.status).toBe(1);
  });
});
