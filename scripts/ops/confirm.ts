import { OpsError, type OpsContext } from "./context";

/** True when the operator agreed (or passed --yes); refuses to guess without a terminal. */
export async function confirmed(ctx: OpsContext, question: string): Promise<boolean> {
  if (ctx.args.yes) return true;
  if (!ctx.io.interactive) throw new OpsError(`${question} Not asked: stdin is not a terminal. Re-run with --yes to confirm; nothing was changed.`, 2);
  const yes = await ctx.io.confirm(`${question} [y/N] `);
  if (!yes) ctx.io.out("Cancelled; nothing was changed.");
  return yes;
}
