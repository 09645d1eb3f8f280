/**
 * The pipeline benchmarks. Each runs when selected (`BENCH_ONLY=archiver,interaction,reconciler,vault-export`,
 * default all) and returns its figures.
 */
import { benchArchiver } from "./bench-archiver";
import { benchInteraction } from "./bench-interaction";
import { benchReconciler } from "./bench-reconciler";
import { benchVaultExport } from "./bench-vault-export";

export async function benchPipelines(wants: (name: string) => boolean): Promise<Record<string, string | number>> {
  const figures: Record<string, string | number> = {};
  if (wants("archiver")) Object.assign(figures, await benchArchiver());
  if (wants("interaction")) Object.assign(figures, await benchInteraction());
  if (wants("reconciler")) Object.assign(figures, await benchReconciler());
  if (wants("vault-export")) Object.assign(figures, await benchVaultExport());
  return figures;
}
