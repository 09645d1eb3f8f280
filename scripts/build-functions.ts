/**
 * Bundles every functions/<name>/ into dist/functions/<name>/index.mjs and prints
 * each bundle's size and the size of its deployment package (dist/functions/<name>.zip,
 * the deterministic zip of index.mjs that Terraform uploads), with the zipped size the
 * package would have if it also shipped the source map.
 * Usage: npm run build:functions
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { bundleFunction, listFunctions } from "../lib/bundling";
import { zipFiles } from "../lib/zip";

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

const rows = listFunctions().map((name) => {
  const started = performance.now();
  const { dir, entry, packageZip } = bundleFunction(name);
  const files = [entry, `${entry}.map`].map((file) => ({ name: path.basename(file), data: readFileSync(file) }));
  return {
    name,
    ms: Math.round(performance.now() - started),
    bundle: statSync(entry).size,
    zippedCode: statSync(packageZip).size,
    zippedAsset: zipFiles(files).length,
    dir: path.relative(process.cwd(), dir),
  };
});

for (const row of rows) {
  console.log(
    `${row.name.padEnd(24)} index.mjs ${kb(row.bundle).padStart(10)}  package (zip) ${kb(row.zippedCode).padStart(9)}  (with source map it would be ${kb(row.zippedAsset)})  ${row.ms} ms  -> ${row.dir}`,
  );
}
if (!rows.length) console.log("no functions/<name>/handler.ts found");
