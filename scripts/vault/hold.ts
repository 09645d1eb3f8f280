/** `vault hold set|clear`: the container's legal hold, through the management plane. */
import { MANAGEMENT_SCOPE, requireSignIn, VaultCliError, type VaultContext } from "./context";
import { HOLD_ACTIONS, managementFailure, ManagementPlane, requireHoldTags } from "./management";

export async function hold(ctx: VaultContext, operation: "set" | "clear"): Promise<number> {
  const { args, io, names } = ctx;
  const tags = requireHoldTags(args.tags);
  const plane = new ManagementPlane(names, ctx.credential);
  plane.containerPath(); // no subscription: exit 2 before asking anything
  await requireSignIn(ctx.credential, MANAGEMENT_SCOPE);
  const target = `${names.storageAccountName}/${names.containerName}`;
  if (operation === "clear" && !args.yes) {
    if (!io.interactive) throw new VaultCliError("hold clear removes protection: pass --yes to confirm when stdin is not a terminal. Nothing was changed.", 2);
    if (!(await io.confirm(`Clear legal-hold tag(s) ${tags.join(", ")} from ${target} (${names.environment})? [y/N] `))) {
      io.err("not confirmed: nothing was changed");
      return 1;
    }
  }
  let result: { active: boolean; tags: string[] };
  try {
    result = await plane.legalHold(operation, tags);
  } catch (error) {
    throw managementFailure(error, `${operation === "set" ? "setting" : "clearing"} a legal hold`, HOLD_ACTIONS[operation]);
  }
  if (args.json) {
    io.out(JSON.stringify({ environment: names.environment, container: names.containerName, operation, tags, legalHold: result }, null, 2));
  } else {
    io.out(`Legal hold ${operation === "set" ? "set" : "cleared"} on ${target}: ${tags.join(", ")}.`);
    io.out(result.active ? `The container is held (tags: ${result.tags.join(", ")}): no blob can be deleted or changed until every tag is cleared.` : "No legal-hold tag is left: the container is protected by its retention policy only.");
  }
  return 0;
}
