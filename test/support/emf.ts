/**
 * Reads CloudWatch embedded-metric-format documents out of a function's log lines,
 * the way CloudWatch Logs does: every JSON line with an `_aws.CloudWatchMetrics`
 * block, its metric values summed by name.
 */
import type { LogLine } from "./invoke-bundle";

/** A metric's total over `lines` per name, plus the namespaces they were published in. */
export function emfTotals(lines: LogLine[]): { totals: Record<string, number>; namespaces: string[] } {
  const totals: Record<string, number> = {};
  const namespaces = new Set<string>();
  for (const line of lines) {
    const directives = (line._aws as { CloudWatchMetrics?: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> } | undefined)?.CloudWatchMetrics;
    for (const directive of directives ?? []) {
      namespaces.add(directive.Namespace);
      for (const { Name } of directive.Metrics) {
        const value = line[Name];
        const values = Array.isArray(value) ? value : [value];
        totals[Name] = (totals[Name] ?? 0) + values.reduce((sum: number, v) => sum + Number(v), 0);
      }
    }
  }
  return { totals, namespaces: [...namespaces] };
}
