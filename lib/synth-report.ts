/**
 * What `npm run synth` wrote: each stack with its resource count and the construct
 * warnings and errors that otherwise only the cdktf CLI prints. It also removes stack
 * folders an earlier synth left behind that the manifest no longer lists, so
 * `cdktf.out/stacks` holds exactly this synthesis.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { IManifest } from "cdktf/lib/manifest";

export interface SynthesizedStack {
  readonly name: string;
  readonly resources: number;
  readonly dataSources: number;
  /** Construct annotations of level warning or error, as `<construct path>: <message>`. */
  readonly warnings: readonly string[];
  readonly errors: readonly string[];
}

export interface SynthReport {
  readonly outdir: string;
  readonly stacks: readonly SynthesizedStack[];
  /** Stack folders removed because the manifest no longer lists them. */
  readonly removed: readonly string[];
}

const count = (blocks: Record<string, Record<string, unknown>> | undefined) => Object.values(blocks ?? {}).reduce((n, byId) => n + Object.keys(byId).length, 0);

/** Reads `<outdir>/manifest.json` and the stacks it lists; removes stack folders it does not list. */
export function synthReport(outdir: string): SynthReport {
  const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as IManifest;
  const stacks = Object.values(manifest.stacks).map((s): SynthesizedStack => {
    const json = JSON.parse(readFileSync(path.join(outdir, s.synthesizedStackPath), "utf8")) as { resource?: Record<string, Record<string, unknown>>; data?: Record<string, Record<string, unknown>> };
    const at = (level: string) => s.annotations.filter((a) => a.level.toLowerCase().includes(level)).map((a) => `${a.constructPath}: ${a.message}`);
    return { name: s.name, resources: count(json.resource), dataSources: count(json.data), warnings: at("warn"), errors: at("error") };
  });
  const stacksDir = path.join(outdir, "stacks");
  const listed = new Set(Object.values(manifest.stacks).map((s) => path.basename(s.workingDirectory)));
  const removed = existsSync(stacksDir) ? readdirSync(stacksDir).filter((name) => !listed.has(name)) : [];
  for (const name of removed) rmSync(path.join(stacksDir, name), { recursive: true, force: true });
  return { outdir, stacks, removed };
}

/** The report as lines for a terminal. */
export function formatSynthReport(report: SynthReport): string[] {
  const width = Math.max(...report.stacks.map((s) => s.name.length));
  const lines = [`Synthesized ${report.stacks.length} stacks into ${path.join(report.outdir, "stacks")}:`];
  for (const s of report.stacks) {
    lines.push(`  ${s.name.padEnd(width)}  ${String(s.resources).padStart(4)} resources${s.dataSources ? `, ${s.dataSources} data sources` : ""}`);
  }
  if (report.removed.length) lines.push(`Removed stacks an earlier synth left that this one no longer has: ${report.removed.join(", ")}`);
  for (const s of report.stacks) {
    for (const w of s.warnings) lines.push(`warning: ${w}`);
    for (const e of s.errors) lines.push(`error: ${e}`);
  }
  return lines;
}
