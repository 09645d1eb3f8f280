/**
 * The pipeline benchmarks, each run when selected. Each returns its figures;
 * the modules live beside this file.
 */
export async function benchPipelines(_wants: (name: string) => boolean): Promise<Record<string, string | number>> {
  return {};
}
