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
 *
 * Build cache: beside each package, `<name>.inputs.json` records the SHA-256 of every
 * file esbuild read and of every file it wrote, under a key of the build settings,
 * the esbuild version, package-lock.json and the list of files in functions/. A later
 * process (another jest worker, the next synth) whose inputs and outputs all still
 * hash the same reuses the files instead of rebuilding: the bytes would be identical.
 * Any difference rebuilds. `BUNDLE_CACHE=off` always rebuilds.
 */
import { buildSync, version as esbuildVersion, type BuildOptions } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
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
  const memoKey = `${name}\0${outDir}`;
  const cached = memo.get(memoKey);
  if (cached) return cached;

  const entryPoint = path.join(FUNCTIONS_DIR, name, "handler.ts");
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !existsSync(entryPoint)) {
    throw new Error(`bundleFunction: no function "${name}" (expected ${path.relative(ROOT, entryPoint)}); known: ${listFunctions().join(", ")}`);
  }
  const dir = path.join(outDir, name);
  const entry = path.join(dir, "index.mjs");
  const packageZip = path.join(outDir, `${name}.zip`);
  const bundle = { dir, entry, packageZip };
  const options: BuildOptions = {
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
    metafile: true,
    write: false,
    logLevel: "silent",
  };
  const cacheFile = path.join(outDir, `${name}.inputs.json`);
  const key = cacheKey(options);
  if (process.env.BUNDLE_CACHE !== "off" && isFresh(cacheFile, key)) {
    memo.set(memoKey, bundle);
    return bundle;
  }

  const result = buildSync(options);
  if (result.errors.length) {
    throw new Error(`bundleFunction(${name}) failed:\n${result.errors.map((e) => e.text).join("\n")}`);
  }
  mkdirSync(dir, { recursive: true });
  for (const file of result.outputFiles!) writeIfChanged(file.path, file.contents);
  const code = result.outputFiles!.find((f) => f.path === entry);
  if (!code) throw new Error(`bundleFunction(${name}): esbuild produced no ${entry}`);
  writeIfChanged(packageZip, zipFiles([{ name: "index.mjs", data: Buffer.from(code.contents) }]));
  const inputs = Object.keys(result.metafile!.inputs).map((input) => path.resolve(ROOT, input));
  const record: BuildRecord = { key, files: hashFiles([...inputs, ...result.outputFiles!.map((f) => f.path), packageZip]) };
  writeIfChanged(cacheFile, JSON.stringify(record));
  memo.set(memoKey, bundle);
  return bundle;
}

/** What a build read and wrote, by absolute path -> SHA-256, under the key of its settings. */
interface BuildRecord {
  key: string;
  files: Record<string, string>;
}

/** Everything besides the input files that decides the output: settings, esbuild, dependencies, which sources exist. */
function cacheKey(options: BuildOptions): string {
  if (sourcesKey === undefined) {
    const hash = createHash("sha256").update(esbuildVersion);
    const lockfile = path.join(ROOT, "package-lock.json");
    if (existsSync(lockfile)) hash.update(readFileSync(lockfile));
    // A new file can change what an import resolves to without changing any file read before.
    hash.update(readdirSync(FUNCTIONS_DIR, { recursive: true, encoding: "utf8" }).sort().join("\n"));
    sourcesKey = hash.digest("hex");
  }
  return createHash("sha256").update(sourcesKey).update(JSON.stringify(options)).digest("hex");
}
/** The part of every key shared by this process's builds (read once, like {@link memo}). */
let sourcesKey: string | undefined;

/** True if `cacheFile` was written under `key` and every file it lists still has the recorded content. */
function isFresh(cacheFile: string, key: string): boolean {
  let record: BuildRecord;
  try {
    record = JSON.parse(readFileSync(cacheFile, "utf8")) as BuildRecord;
  } catch {
    return false;
  }
  if (record.key !== key || !record.files) return false;
  const names = Object.keys(record.files);
  if (!names.length) return false;
  const current = hashFiles(names);
  return names.every((file) => current[file] === record.files[file]);
}

/** SHA-256 of each file's content; a missing file hashes to "". */
function hashFiles(files: string[]): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const file of files) hashes[file] = existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : "";
  return hashes;
}

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "functions"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`bundling: no repository root above ${start}`);
  }
}

/** Writes `file` unless it already holds `contents`; whole or not at all, so a concurrent reader never sees part of it. */
function writeIfChanged(file: string, contents: Uint8Array | string): void {
  if (existsSync(file) && Buffer.compare(readFileSync(file), Buffer.from(contents)) === 0) return;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}
