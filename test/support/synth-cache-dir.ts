/**
 * The environment variable naming the synthesis cache directory of one jest run: made by
 * test/global-setup.ts, used by `synthStacks` (test/support/synth-app.ts), removed by
 * test/global-teardown.ts. A module of its own so the setup does not load cdktf; not GCV_*,
 * which the configuration loader reserves and checks.
 */
export const SYNTH_CACHE_ENV = "TEST_SYNTH_CACHE_DIR";
