// Every process of the run (jest workers, local stand-ins, the CLIs the tests start) gets a
// bounded old-space heap, so V8 collects instead of growing: with the functions under test in
// worker threads (test/support/invoke-bundle.ts), the suite's peak memory stays under 1.3 GiB on
// the 2-core CI machine (measured by `BENCH_ONLY=tests npm run bench`).
if (!/max-old-space-size/.test(process.env.NODE_OPTIONS ?? "")) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --max-old-space-size=384`.trim();
}
// cdktf's dependencies call util.isArray (DEP0044); the npm scripts silence it, and so do the
// jest workers and the processes they start.
if (!/DEP0044/.test(process.env.NODE_OPTIONS ?? "")) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS} --disable-warning=DEP0044`;
}

// esbuild's buildSync runs a long-lived esbuild service on a worker thread, one per loaded copy
// of the esbuild module, until the process exits. jest loads modules afresh for every test file,
// so each file that bundles or synthesizes left a ~100 MiB esbuild process in its jest worker:
// about 1.6 GiB of the suite's 3.3 GiB peak. Without worker threads, buildSync runs one
// short-lived esbuild process per build instead (here, so the global setup's builds do too).
process.env.ESBUILD_WORKER_THREADS = "0";

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.(t|j)sx?$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
  // ESM-only dependencies are transformed to CommonJS for jest.
  transformIgnorePatterns: ["/node_modules/(?!(aws-local-stepfunctions)/)"],
  // cdktf's per-token stack capture, replaced for speed: see test/support/no-stack-trace.ts.
  moduleNameMapper: { "^\\./(tokens/private/|private/)?stack-trace$": "<rootDir>/test/support/no-stack-trace.ts" },
  testSequencer: "<rootDir>/test/sequencer.js",
  globalSetup: "<rootDir>/test/global-setup.ts",
  globalTeardown: "<rootDir>/test/global-teardown.ts",
  setupFiles: ["<rootDir>/test/setup-env.ts"],
  setupFilesAfterEnv: ["<rootDir>/test/setup-matchers.ts"],
  testTimeout: 30000,
  maxWorkers: 2,
  // A worker that grew past this after a test file is replaced: synth and bundling leave heap behind.
  workerIdleMemoryLimit: "512MB",
};
