/** The verify report: a table for people (check, ok, duration, reason, fix) or one JSON document for machines. */
import type { CheckResult } from "./checks";

export interface VerifyReport {
  readonly environment: string;
  readonly accountId: string;
  readonly region: string;
  readonly runId: string;
  /** No check failed (skipped and warned ones do not fail a run). */
  readonly ok: boolean;
  readonly durationMs: number;
  readonly checks: readonly CheckResult[];
}

export const statusOf = (c: CheckResult) => (!c.ok ? "FAIL" : c.skipped ? "skip" : c.warning ? "warn" : "ok");

/** The table, then each failure's (and warning's, and skip's) fix, then a summary line. */
export function formatTable(report: VerifyReport): string[] {
  const rows = report.checks.map((c) => [c.check, statusOf(c), `${c.durationMs} ms`, oneLine(c.reason ?? "")]);
  const header = ["check", "ok", "duration", "reason"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 3 ? 0 : r[i]!.length))));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 3 ? cell : i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd();
  const out = [`Environment ${report.environment} (account ${report.accountId}, ${report.region}), run ${report.runId}`, "", line(header), ...rows.map(line)];
  const attention = report.checks.filter((c) => c.fix && (!c.ok || c.warning || c.skipped));
  if (attention.length) {
    out.push("", "Fixes:");
    for (const c of attention) out.push(`  - ${c.check} [${statusOf(c)}]: ${oneLine(c.fix!)}`);
  }
  const count = (s: string) => report.checks.filter((c) => statusOf(c) === s).length;
  out.push("", `${report.ok ? "PASSED" : "FAILED"}: ${count("ok")} ok, ${count("FAIL")} failed, ${count("warn")} warned, ${count("skip")} skipped in ${(report.durationMs / 1000).toFixed(1)} s`);
  return out;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ");
