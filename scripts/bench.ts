/**
 * `npm run bench`: prints the project's speed and memory figures.
 * - synth: `npm run synth`'s program for all environments, in fresh processes (median of runs)
 * - test suite: wall time and peak resident memory of the whole jest process tree
 * - pipeline benchmarks (archiver throughput, bundle sizes and cold loads, interaction throughput)
 *
 * Figures, not pass/fail: targets are printed beside them. `BENCH_ONLY=synth,tests`
 * limits what runs; `BENCH_SYNTH_RUNS` sets the number of synth runs (default 5).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { benchPipelines } from "./bench-pipelines";

const ROOT = path.resolve(__dirname, "..", "..");
const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());
const wants = (name: string) => !only || only.includes(name);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function benchSynth(): Record<string, string> {
  const runs = Number(process.env.BENCH_SYNTH_RUNS ?? 5);
  const outdir = path.join(ROOT, ".build", "bench-synth");
  const synthMs = (env: Record<string, string> = {}) => {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ["--disable-warning=DEP0044", path.join(ROOT, "scripts/run-ts.mjs"), path.join(ROOT, "main.ts")], {
      cwd: ROOT,
      env: { ...process.env, CDKTF_OUTDIR: outdir, GCV_ENVIRONMENTS: "", ...env },
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  // Every Lambda bundled again (a fresh clone, or after a change to shared code), then the usual case: bundles reused.
  const rebuilt = synthMs({ BUNDLE_CACHE: "off" });
  const times = Array.from({ length: runs }, () => synthMs());
  const stacks = readdirSync(path.join(outdir, "stacks")).length;
  return {
    "synth: stacks": String(stacks),
    "synth: wall time, median of runs, bundles reused (ms)": median(times).toFixed(0),
    "synth: fastest / slowest (ms)": `${Math.min(...times).toFixed(0)} / ${Math.max(...times).toFixed(0)}`,
    "synth: wall time with every bundle rebuilt (ms)": rebuilt.toFixed(0),
    "synth: target": "< 5000 ms",
  };
}

/** Sum of VmRSS over a process and all its descendants (Linux /proc). */
function treeRssKb(rootPid: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
      const vmRss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      rss.set(Number(entry), vmRss);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

async function benchTests(): Promise<Record<string, string>> {
  const jest = path.join(ROOT, "node_modules/jest/bin/jest.js");
  // Start as a fresh clone does (as CI does): no build records, so the suite bundles each function first.
  const bundles = path.join(ROOT, "dist", "functions");
  for (const file of existsSync(bundles) ? readdirSync(bundles) : []) if (file.endsWith(".inputs.json")) rmSync(path.join(bundles, file));
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [jest, "--ci", "--silent"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  let peakKb = 0;
  const timer = setInterval(() => {
    if (child.pid) peakKb = Math.max(peakKb, treeRssKb(child.pid));
  }, 100);
  const code: number = await new Promise((resolve) => child.on("close", resolve));
  clearInterval(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = /Tests:\s+(.*)/.exec(stderr)?.[1] ?? "(no summary)";
  if (code !== 0) throw new Error(`jest failed (exit ${code}):\n${stderr.slice(-4000)}`);
  return {
    "tests: jest wall time (s)": seconds.toFixed(1),
    "tests: peak RSS of the jest process tree (MiB)": (peakKb / 1024).toFixed(0),
    "tests: result": summary,
    "tests: target": "< 60 s, peak RSS < 1300 MiB",
  };
}

async function main(): Promise<void> {
  const results: Record<string, string | number> = {};
  if (wants("synth")) Object.assign(results, benchSynth());
  if (wants("tests")) Object.assign(results, await benchTests());
  Object.assign(results, await benchPipelines(wants));
  const width = Math.max(...Object.keys(results).map((k) => k.length));
  console.log(`\nbenchmark figures (${new Date().toISOString()}, node ${process.version}, ${require("node:os").cpus().length} cores)`);
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(width)}  ${v}`);
  // Keep the tree clean of bench output.
  rmSync(path.join(ROOT, ".build", "bench-synth"), { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
