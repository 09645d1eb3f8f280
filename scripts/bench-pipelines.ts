/**
 * The pipeline benchmarks. Each runs when selected (`BENCH_ONLY=archiver,interaction`,
 * default all) and returns its figures.
 */
import { benchArchiver } from "./bench-archiver";
import { benchInteraction } from "./bench-interaction";

export async function benchPipelines(wants: (name: string) => boolean): Promise<Record<string, string | number>> {
  const figures: Record<string, string | number> = {};
  if (wants("archiver")) Object.assign(figures, await benchArchiver());
  if (wants("interaction")) Object.assign(figures, await benchInteraction());
  return figures;
}
