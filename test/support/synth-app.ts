import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type App, Testing } from "cdktf";
import { sampleEnvironments } from "../../config/environments";
import { applyDefaults } from "../../config/defaults";
import { deepMerge } from "../../config/merge";
import type { DeepPartial, EnvironmentConfig } from "../../config/types";
import { assertValidEnvironments } from "../../config/validate";
import { addEnvironment, type EnvironmentStacks } from "../../stacks/environment";
import { SYNTH_CACHE_ENV } from "./synth-cache-dir";

/** A synthesized Terraform JSON document (cdk.tf.json). */
export type TfJson = {
  resource?: Record<string, Record<string, any>>;
  data?: Record<string, Record<string, any>>;
  output?: Record<string, { value: unknown }>;
  terraform?: any;
  provider?: Record<string, any[]>;
};

/** A sample environment with overrides applied (validated like real config). */
export function sampleEnv(name: string, overrides: DeepPartial<EnvironmentConfig> = {}): EnvironmentConfig {
  const base = sampleEnvironments.find((e) => e.name === name);
  if (!base) throw new Error(`no sample environment ${name}`);
  const env = applyDefaults(deepMerge(base, overrides) as any);
  assertValidEnvironments([env]);
  return env;
}

/** Synthesizes the given environments into a temp folder and returns each stack's JSON by name. */
export function synthEnvironments(envs: readonly EnvironmentConfig[] = sampleEnvironments.map(applyDefaults)): { stacks: Record<string, TfJson>; built: EnvironmentStacks[]; app: App } {
  const app = Testing.app({ stackTraces: false });
  const built = envs.map((e) => addEnvironment(app, e));
  app.synth();
  const dir = path.join(app.outdir, "stacks");
  const stacks: Record<string, TfJson> = {};
  for (const name of readdirSync(dir)) stacks[name] = JSON.parse(readFileSync(path.join(dir, name, "cdk.tf.json"), "utf8"));
  return { stacks, built, app };
}

/**
 * The stacks' JSON of synthesizing `envs`, as {@link synthEnvironments} gives them, shared by
 * the test files of one run: the first file asking for a configuration synthesizes it and stores
 * the JSON in the run's cache directory, the others read it (the dev sample is asked for by
 * several files). Each call returns a fresh copy, so a test may change what it gets. Tests
 * that need the app or the constructs call {@link synthEnvironments}.
 */
export function synthStacks(envs: readonly EnvironmentConfig[] = sampleEnvironments.map(applyDefaults)): Record<string, TfJson> {
  const dir = process.env[SYNTH_CACHE_ENV];
  if (!dir) return synthEnvironments(envs).stacks;
  const file = path.join(dir, `${createHash("sha256").update(JSON.stringify(envs)).digest("hex")}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8"));
  const { stacks } = synthEnvironments(envs);
  // Written whole and renamed: a file synthesizing the same configuration at once reads all or nothing.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(stacks));
  renameSync(partial, file);
  return stacks;
}

/** All resources of one type in a stack, keyed by logical id. */
export function resourcesOf(stack: TfJson, type: string): Record<string, any> {
  return stack.resource?.[type] ?? {};
}

/** The only resource of a type in a stack (fails if there is not exactly one). */
export function onlyResource(stack: TfJson, type: string): any {
  const all = Object.values(resourcesOf(stack, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}
