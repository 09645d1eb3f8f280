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
