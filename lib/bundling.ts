/**
 * Bundles each Lambda (functions/<name>/handler.ts) with esbuild into
 * dist/functions/<name>/index.mjs (+ index.mjs.map): ESM, minified, target node22,
 * linked source maps without sources content, a `require` shim so CommonJS
 * dependencies work inside ESM.
 *
 * Deterministic: the same sources give the same bytes (paths in the output are
 * relative to the repository, nothing time- or machine-dependent), so the
 * TerraformAsset hash changes only when code does. Files are rewritten only when
 * their content changes, and each bundle is built at most once per process.
 */
import { buildSync } from "esbuild";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { zipFiles } from "./zip";

/** Repository root: the nearest directory above this file with a package.json (this file may run from .build/). */
const ROOT = findRoot(__dirname);
const FUNCTIONS_DIR = path.join(ROOT, "functions");
const DEFAULT_OUT_DIR = path.join(ROOT, "dist", "functions");

/** Lets CommonJS dependencies call `require` (e.g. for Node built-ins) inside the ESM bundle. */
export const REQUIRE_SHIM = 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);';

/** Output of {@link bundleFunction}. */
export interface FunctionBundle {
  /** Directory holding index.mjs and index.mjs.map (the Lambda asset). */
  dir: string;
  /** Absolute path of index.mjs. */
  entry: string;
  /**
   * The Lambda deployment package: a deterministic zip of index.mjs alone. The source
   * map stays beside the bundle (for symbolicating stack traces) and out of the package,
   * which keeps packages small and cold starts fast.
   */
  packageZip: string;
}

const memo = new Map<string, FunctionBundle>();

/** Names of the deployable functions: every functions/<name>/ with a handler.ts, except shared. */
export function listFunctions(): string[] {
  return readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== "shared")
    .filter((entry) => existsSync(path.join(FUNCTIONS_DIR, entry.name, "handler.ts")))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Bundles functions/<name>/handler.ts into `<outDir>/<name>/index.mjs`.
 * @param opts.outDir parent directory of the per-function folders. @default dist/functions
 * @example
 * const { dir } = bundleFunction("transcript-archiver"); // -> TerraformAsset({ path: dir, type: AssetType.ARCHIVE })
 */
export function bundleFunction(name: string, opts: { outDir?: string } = {}): FunctionBundle {
  const outDir = path.resolve(opts.outDir ?? DEFAULT_OUT_DIR);
  const key = `${name}\0${outDir}`;
  const cached = memo.get(key);
  if (cached) return cached;

  const entryPoint = path.join(FUNCTIONS_DIR, name, "handler.ts");
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !existsSync(entryPoint)) {
    throw new Error(`bundleFunction: no function "${name}" (expected ${path.relative(ROOT, entryPoint)}); known: ${listFunctions().join(", ")}`);
  }
  const dir = path.join(outDir, name);
  const entry = path.join(dir, "index.mjs");
  const result = buildSync({
    absWorkingDir: ROOT,
    entryPoints: [entryPoint],
    outfile: entry,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    // Prefer ES module builds of dependencies: better tree shaking, smaller bundles.
    mainFields: ["module", "main"],
    minify: true,
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "eof",
    banner: { js: REQUIRE_SHIM },
    metafile: false,
    write: false,
    logLevel: "silent",
  });
  if (result.errors.length) {
    throw new Error(`bundleFunction(${name}) failed:\n${result.errors.map((e) => e.text).join("\n")}`);
  }
  mkdirSync(dir, { recursive: true });
  for (const file of result.outputFiles) writeIfChanged(file.path, file.contents);
  const code = result.outputFiles.find((f) => f.path === entry);
  if (!code) throw new Error(`bundleFunction(${name}): esbuild produced no ${entry}`);
  const packageZip = path.join(outDir, `${name}.zip`);
  writeIfChanged(packageZip, zipFiles([{ name: "index.mjs", data: Buffer.from(code.contents) }]));
  const bundle = { dir, entry, packageZip };
  memo.set(key, bundle);
  return bundle;
}

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "functions"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`bundling: no repository root above ${start}`);
  }
}

function writeIfChanged(file: string, contents: Uint8Array): void {
  if (existsSync(file) && Buffer.compare(readFileSync(file), contents) === 0) return;
  writeFileSync(file, contents);
}
