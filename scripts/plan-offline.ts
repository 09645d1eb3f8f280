/**
 * `npm run plan:offline`: synthesizes the selected environments (`GCV_ENVIRONMENTS`,
 * default all) into a fresh folder, then runs `terraform init` and `terraform plan`
 * for each `*-aws` stack of that synthesis against a local filesystem mirror
 * of the AWS provider, with dummy credentials and no network. Prints each
 * plan's resource count. Azure stacks are not planned (no azurerm mirror):
 * synth and the test suite check them.
 *
 * Mirror discovery: TF_PROVIDER_MIRROR, else the first of the usual plugin
 * folders that holds registry.terraform.io/hashicorp/aws/<version>/<os_arch>.
 * Without a mirror (or without terraform) it skips with a clear message, except in CI
 * (`CI` set), where that is a failure.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { awsStacksOf } from "./synth-output";

const ROOT = path.resolve(__dirname, "..", "..");
const PROVIDER = "registry.terraform.io/hashicorp/aws";

function awsProviderVersion(): string {
  // The version the prebuilt bindings were generated for, e.g. 5.100.0.
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "node_modules/@cdktf/provider-aws/package.json"), "utf8"));
  const v = pkg.cdktf?.provider?.version as string | undefined;
  if (!v) throw new Error("cannot read the AWS provider version from @cdktf/provider-aws/package.json");
  return v;
}

function osArch(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  return `${process.platform}_${arch}`;
}

/** Returns the mirror root holding the AWS provider, or undefined. */
export function findMirror(version: string, env = process.env): string | undefined {
  const candidates = [
    env.TF_PROVIDER_MIRROR,
    "/opt/tf-plugins",
    path.join(homedir(), ".terraform.d/plugins"),
    path.join(homedir(), ".local/share/terraform/plugins"),
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
  ].filter((c): c is string => Boolean(c));
  return candidates.find((root) => {
    const dir = path.join(root, PROVIDER, version, osArch());
    return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith("terraform-provider-aws"));
  });
}

function terraformVersion(): string | undefined {
  const r = spawnSync("terraform", ["version", "-json"], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout).terraform_version as string;
}

/**
 * Without terraform or a mirror there is nothing to plan: a developer's machine skips with the
 * reason, but CI (`CI` set, as every CI service does) fails, so a missing tool never passes unnoticed.
 */
function skip(reason: string): never {
  if (process.env.CI && process.env.CI !== "false") {
    console.error(`plan:offline FAILED: ${reason}. CI must plan the AWS stacks; install what is missing (unset CI to skip locally).`);
    process.exit(1);
  }
  console.log(`plan:offline SKIPPED: ${reason}`);
  process.exit(0);
}

function main(): void {
  const version = awsProviderVersion();
  const tf = terraformVersion();
  if (!tf) skip("terraform is not on PATH (install Terraform 1.11.4, see .terraform-version)");
  const mirror = findMirror(version);
  if (!mirror) {
    skip(`no filesystem mirror of ${PROVIDER} ${version} for ${osArch()} found; set TF_PROVIDER_MIRROR to a folder holding ${PROVIDER}/${version}/${osArch()}/terraform-provider-aws_*`);
  }
  console.log(`terraform ${tf}; AWS provider ${version} from mirror ${mirror}`);

  const work = mkdtempSync(path.join(tmpdir(), "gcv-plan-"));
  // Synthesize the program as `npm run synth` does (GCV_ENVIRONMENTS and GCV_CONFIG_FILE
  // included), into a fresh folder: only the stacks of this synthesis are planned, never
  // folders an earlier synth left in cdktf.out.
  const outdir = path.join(work, "cdktf.out");
  execFileSync(process.execPath, ["--disable-warning=DEP0044", path.join(ROOT, "scripts/run-ts.mjs"), path.join(ROOT, "main.ts")], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, CDKTF_OUTDIR: outdir },
  });

  const cliConfig = path.join(work, "terraform.rc");
  writeFileSync(
    cliConfig,
    `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["${PROVIDER}"]\n  }\n  direct {\n    exclude = ["${PROVIDER}"]\n  }\n}\n`,
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    AWS_ACCESS_KEY_ID: "AKIAOFFLINEPLANDUMMY",
    AWS_SECRET_ACCESS_KEY: "offline-plan-dummy-secret",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PROFILE: "",
  };
  delete env.TF_PLUGIN_CACHE_DIR;

  const stacksDir = path.join(outdir, "stacks");
  const stacks = awsStacksOf(outdir);
  if (stacks.length === 0) throw new Error(`the synthesis wrote no *-aws stacks (GCV_ENVIRONMENTS=${process.env.GCV_ENVIRONMENTS ?? ""})`);
  console.log(`planning ${stacks.join(", ")}`);
  let failed = 0;
  for (const stack of stacks) {
    // Plan a copy: the offline override (which drops the account guard) must never
    // sit in a synthesized stack, where a later `cdktf diff` or `deploy` would pick it up.
    const dir = path.join(work, stack);
    cpSync(path.join(stacksDir, stack), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.terraform`) });
    // An override file: offline-only provider flags and a throwaway local backend,
    // merged by Terraform over the synthesized config without changing it.
    writeFileSync(
      path.join(dir, "zz_offline_override.tf.json"),
      JSON.stringify(
        {
          terraform: { backend: { local: { path: path.join(work, `${stack}.tfstate`) } } },
          provider: {
            aws: {
              skip_credentials_validation: true,
              skip_requesting_account_id: true,
              skip_metadata_api_check: "true",
              skip_region_validation: true,
              // The account guard needs a real caller identity; dummy credentials have none.
              allowed_account_ids: null,
              max_retries: 1,
            },
          },
        },
        null,
        2,
      ),
    );
    const started = Date.now();
    const run = (args: string[]) => spawnSync("terraform", args, { cwd: dir, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    const init = run(["init", "-input=false", "-no-color"]);
    if (init.status !== 0) {
      failed++;
      console.error(`${stack}: terraform init failed\n${init.stdout}\n${init.stderr}`);
      continue;
    }
    const planFile = path.join(work, `${stack}.plan`);
    const plan = run(["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color", `-out=${planFile}`]);
    if (plan.status !== 0) {
      failed++;
      console.error(`${stack}: terraform plan failed\n${plan.stdout}\n${plan.stderr}`);
      continue;
    }
    const show = run(["show", "-json", planFile]);
    const changes = (JSON.parse(show.stdout).resource_changes ?? []) as Array<{ mode: string; change: { actions: string[] } }>;
    const managed = changes.filter((c) => c.mode === "managed");
    const count = (a: string) => managed.filter((c) => c.change.actions.includes(a)).length;
    console.log(
      `${stack}: plan OK: ${managed.length} resources (${count("create")} to add, ${count("update")} to change, ${count("delete")} to destroy) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  rmSync(work, { recursive: true, force: true });
  if (failed) {
    console.error(`plan:offline: ${failed} of ${stacks.length} AWS stacks failed to plan`);
    process.exit(1);
  }
}

main();
