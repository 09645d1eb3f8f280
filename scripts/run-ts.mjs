#!/usr/bin/env node
// Runs a TypeScript entry point: esbuild compiles it (dependencies stay external)
// into .build/ and Node runs the result. ~50 ms, versus seconds for ts-node.
// Usage: node scripts/run-ts.mjs <entry.ts> [args...]
import { buildSync } from "esbuild";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error("usage: node scripts/run-ts.mjs <entry.ts> [args...]");
  process.exit(2);
}
const outfile = path.join(root, ".build", path.relative(root, path.resolve(entry)).replace(/\.ts$/, ".cjs"));
buildSync({
  entryPoints: [path.resolve(entry)],
  outfile,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  packages: "external",
  sourcemap: "inline",
  logLevel: "warning",
});
process.argv = [process.argv[0], outfile, ...args];
process.setSourceMapsEnabled?.(true);
createRequire(import.meta.url)(outfile);
