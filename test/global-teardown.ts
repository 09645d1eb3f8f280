/** Removes the run's synthesis cache directory made by test/global-setup.ts. */
import { rmSync } from "node:fs";
import { SYNTH_CACHE_ENV } from "./support/synth-cache-dir";

export default function globalTeardown(): void {
  const dir = process.env[SYNTH_CACHE_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
