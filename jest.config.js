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
};
