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

/** Where the policy is evaluated: the ARNs' partition, region and account. */
export interface IamScope {
  partition?: string;
  region: string;
  accountId: string;
}

/** Replaces `${aws_dynamodb_table.<id>.arn}` with the table's ARN, so a fake can compare it with a request's table. */
export function resolveTableArns(stack: TfJson, statements: Statement[], scope: IamScope): Statement[] {
  const tables = stack.resource?.aws_dynamodb_table ?? {};
  const resolve = (value: string) =>
    value.replace(/\$\{aws_dynamodb_table\.([\w-]+)\.arn\}/g, (token, id: string) =>
      tables[id]?.name ? `arn:${scope.partition ?? "aws"}:dynamodb:${scope.region}:${scope.accountId}:table/${tables[id].name}` : token,
    );
  return statements.map((s) => ({ ...s, Resource: Array.isArray(s.Resource) ? s.Resource.map(resolve) : resolve(s.Resource) }));
}

/** An IAM wildcard pattern (`*`, `?`) as a regular expression; `caseInsensitive` for action names. */
function wildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, caseInsensitive ? "i" : "");
}

/**
 * Identity-policy evaluation as IAM documents it, for the few cases the fakes need: an
 * explicit Deny wins, otherwise an Allow whose action, resource and conditions all match
 * is needed (implicit deny). Conditions support StringEquals and StringLike on the given
 * context keys; any other operator throws rather than guessing.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
export function isAllowed(statements: readonly Statement[], action: string, resource: string, context: Record<string, string> = {}): boolean {
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  const applies = (s: Statement) =>
    list(s.Action).some((a) => wildcard(a, true).test(action)) &&
    list(s.Resource).some((r) => wildcard(r, false).test(resource)) &&
    Object.entries((s.Condition ?? {}) as Record<string, Record<string, string | string[]>>).every(([operator, keys]) =>
      Object.entries(keys).every(([key, expected]) => {
        const actual = context[key];
        if (operator === "StringEquals") return actual !== undefined && list(expected).includes(actual);
        if (operator === "StringLike") return actual !== undefined && list(expected).some((e) => wildcard(e, false).test(actual));
        throw new Error(`isAllowed: condition operator ${operator} is not modelled`);
      }),
    );
  if (statements.some((s) => s.Effect === "Deny" && applies(s))) return false;
  return statements.some((s) => s.Effect === "Allow" && applies(s));
}
