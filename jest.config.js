// Every process of the run (jest workers, the bundled Lambdas they start, local stand-ins) gets a
// bounded old-space heap, so V8 collects instead of growing: the suite's peak memory stays under
// 1.5 GiB on the 2-core CI machine (measured by `BENCH_ONLY=tests npm run bench`).
if (!/max-old-space-size/.test(process.env.NODE_OPTIONS ?? "")) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --max-old-space-size=384`.trim();
}
// cdktf's dependencies call util.isArray (DEP0044); the npm scripts silence it, and so do the
// jest workers and the processes they start.
if (!/DEP0044/.test(process.env.NODE_OPTIONS ?? "")) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS} --disable-warning=DEP0044`;
}

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
  setupFiles: ["<rootDir>/test/setup-env.ts"],
  setupFilesAfterEnv: ["<rootDir>/test/setup-matchers.ts"],
  testTimeout: 30000,
  maxWorkers: 2,
  // A worker that grew past this after a test file is replaced: synth and bundling leave heap behind.
  workerIdleMemoryLimit: "512MB",
};
