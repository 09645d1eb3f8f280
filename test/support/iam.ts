import type { TfJson } from "./synth-app";

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

/** Every statement of every inline policy attached to the role with this name (by `role = aws_iam_role.<id>.id`). */
export function statementsOfRole(stack: TfJson, roleName: string): Statement[] {
  const roles = stack.resource?.aws_iam_role ?? {};
  const roleId = Object.entries(roles).find(([, r]) => r.name === roleName)?.[0];
  if (!roleId) throw new Error(`no role named ${roleName}`);
  const policies = Object.values(stack.resource?.aws_iam_role_policy ?? {}).filter((p: any) => p.role === `\${aws_iam_role.${roleId}.id}`);
  return policies.flatMap((p: any) => JSON.parse(p.policy).Statement as Statement[]);
}

/** Flattens statements to sorted "Effect action on resource" lines: easy to compare exactly. */
export function grants(statements: Statement[]): string[] {
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  return statements
    .flatMap((s) => list(s.Action).flatMap((a) => list(s.Resource).map((r) => `${s.Effect} ${a} on ${r}`)))
    .sort();
}

/** `${aws_x.<id>.attr}` of the only resource of a type whose `field` equals `value`. */
export function refTo(stack: TfJson, type: string, match: (r: any) => boolean, attr: string): string {
  const entry = Object.entries(stack.resource?.[type] ?? {}).find(([, r]) => match(r));
  if (!entry) throw new Error(`no ${type} matches`);
  return `\${${type}.${entry[0]}.${attr}}`;
}
