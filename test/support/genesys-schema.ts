import schema from "../../constructs/genesys/genesyscloud-schema.json";

import type { AttributeSpec, BlockSpec } from "../../scripts/genesys-provider-schema";

export const GENESYS_SCHEMA = schema as unknown as {
  provider: BlockSpec & { source: string; version: string; tag: string; commit: string; regions: Record<string, string> };
  resources: Record<string, BlockSpec>;
};

/** A Terraform expression (`${...}`): its value is known only at apply, so only its presence is checked. */
const isExpression = (v: unknown) => typeof v === "string" && /^\$\{.*\}$/s.test(v);

function checkAttribute(path: string, spec: AttributeSpec, value: unknown, problems: string[]): void {
  if (spec.computed && !spec.optional && !spec.required) return void problems.push(`${path} is read-only in the provider and must not be set`);
  if (isExpression(value)) return;
  const ok = {
    string: () => typeof value === "string",
    number: () => typeof value === "number" && Number.isFinite(value),
    bool: () => typeof value === "boolean",
    map: () => value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value as object).every((v) => typeof v === "string"),
    set: () => Array.isArray(value) && value.every((v) => typeof v === "string"),
    list: () => Array.isArray(value) && value.every((v) => typeof v === "string"),
  }[spec.type]();
  if (!ok) return void problems.push(`${path} must be a ${spec.type} (got ${JSON.stringify(value)})`);
  const inEnum = (v: string) => spec.enum!.some((e) => (spec.enum_ignore_case ? e.toLowerCase() === v.toLowerCase() : e === v));
  if (spec.enum && !inEnum(value as string)) problems.push(`${path} must be one of ${spec.enum.join(", ")} (got ${JSON.stringify(value)})`);
  if (spec.min !== undefined && (value as number) < spec.min) problems.push(`${path} must be >= ${spec.min} (got ${value})`);
  if (spec.max !== undefined && (value as number) > spec.max) problems.push(`${path} must be <= ${spec.max} (got ${value})`);
  if (spec.min_length !== undefined && (value as string).length < spec.min_length) problems.push(`${path} must have at least ${spec.min_length} characters`);
  if (spec.max_length !== undefined && (value as string).length > spec.max_length) problems.push(`${path} must have at most ${spec.max_length} characters`);
}

/** Checks one block body (a resource or a nested block) against the schema; returns every problem. */
export function checkBlock(path: string, spec: BlockSpec, body: Record<string, unknown>, problems: string[] = []): string[] {
  for (const [name, value] of Object.entries(body)) {
    if (name === "//" || name === "depends_on" || name === "lifecycle" || name === "provider") continue;
    if (spec.attributes[name]) checkAttribute(`${path}.${name}`, spec.attributes[name], value, problems);
    else if (spec.blocks?.[name]) {
      const block = spec.blocks[name];
      const items = Array.isArray(value) ? value : [value];
      if (block.max_items !== undefined && items.length > block.max_items) problems.push(`${path}.${name} allows at most ${block.max_items} block(s) (got ${items.length})`);
      if (block.min_items !== undefined && items.length < block.min_items) problems.push(`${path}.${name} needs at least ${block.min_items} block(s) (got ${items.length})`);
      for (const [i, item] of items.entries()) checkBlock(`${path}.${name}[${i}]`, block, item as Record<string, unknown>, problems);
    } else problems.push(`${path}.${name} is not an argument of the provider's schema`);
  }
  for (const [name, attr] of Object.entries(spec.attributes)) if (attr.required && !(name in body)) problems.push(`${path}.${name} is required`);
  for (const [name, block] of Object.entries(spec.blocks ?? {})) if ((block.min_items ?? 0) > 0 && !(name in body)) problems.push(`${path}.${name} is required`);
  return problems;
}

/** Every genesyscloud resource and provider block of a synthesized stack, checked against the schema. */
export function checkStackAgainstSchema(stack: { resource?: Record<string, Record<string, any>>; provider?: Record<string, any[]> }): string[] {
  const problems: string[] = [];
  for (const [type, resources] of Object.entries(stack.resource ?? {})) {
    if (!type.startsWith("genesyscloud_")) continue;
    const spec = GENESYS_SCHEMA.resources[type];
    if (!spec) {
      problems.push(`${type} is not in the schema file`);
      continue;
    }
    for (const [id, body] of Object.entries(resources)) checkBlock(`${type}.${id}`, spec, body, problems);
  }
  for (const body of stack.provider?.genesyscloud ?? []) checkBlock("provider.genesyscloud", { attributes: GENESYS_SCHEMA.provider.attributes, blocks: GENESYS_SCHEMA.provider.blocks }, body, problems);
  return problems;
}
