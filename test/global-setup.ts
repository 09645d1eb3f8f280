/**
 * Runs once in jest's parent process before any test file:
 * - brings every function bundle up to date (`npm run build:functions`; a fresh clone builds
 *   them all here). Otherwise the first test files in each worker build the same bundles at
 *   once, twice the work on a 2-core machine; later calls in the tests find the build records
 *   fresh (lib/bundling.ts). In a child process, so esbuild stays out of jest's parent;
 * - makes the run's synthesis cache directory (test/support/synth-app.ts `synthStacks`), which
 *   the workers inherit through the environment and test/global-teardown.ts removes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SYNTH_CACHE_ENV } from "./support/synth-cache-dir";

export default function globalSetup(): void {
  const root = path.resolve(__dirname, "..");
  const build = spawnSync(process.execPath, ["--disable-warning=DEP0044", path.join(root, "scripts/run-ts.mjs"), path.join(root, "scripts/build-functions.ts")], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`bundling the functions failed (exit ${build.status}):\n${build.stderr}`);
  process.env[SYNTH_CACHE_ENV] = mkdtempSync(path.join(tmpdir(), "gcv-synth-"));
}
