/**
 * Stands in for cdktf's (and constructs') `stack-trace` module in the tests (see jest.config.js):
 * cdktf captures a full stack trace for every token it creates, and under jest each one passes
 * through the source-map formatter, which made synthesis in a test file almost 3x slower. The
 * trace is only printed when a token cannot be resolved, which a test reports by its own assertion.
 */
export function captureStackTrace(): string[] {
  return [];
}
