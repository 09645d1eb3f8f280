import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * The `*-aws` stacks of one synthesis, from its `manifest.json` (which lists exactly
 * the stacks that synthesis wrote), never from the folders in `stacks/`: a folder
 * left by an earlier synthesis (another GCV_ENVIRONMENTS, a removed environment) is
 * not part of it.
 */
export function awsStacksOf(outdir: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as { stacks?: Record<string, unknown> };
  return Object.keys(manifest.stacks ?? {})
    .filter((name) => name.endsWith("-aws"))
    .sort();
}
