/**
 * `npm run genesys-schema -- <git dir> <tag>`: regenerates
 * constructs/genesys/genesyscloud-schema.json from the Go source of
 * MyPureCloud/terraform-provider-genesyscloud at a release tag, read from a
 * local clone (`git --git-dir <dir> show <tag>:<file>`); nothing of the
 * provider is copied into this repository but the schema it declares.
 *
 * It reads the `schema.Schema` literals of the provider block and of each
 * resource the bindings use, with their types, required/optional/computed,
 * block nesting and item counts, defaults, and the validators it can evaluate
 * (StringInSlice, IntBetween, IntAtLeast, StringLenBetween), plus the
 * provider's `aws_region` to domain map. `--check` exits 1 if the committed
 * file differs from what the source gives.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const REPOSITORY = "MyPureCloud/terraform-provider-genesyscloud";
const SCHEMA_FILE = path.resolve(process.cwd(), "constructs", "genesys", "genesyscloud-schema.json");

/** Each resource the bindings declare: where its schema function lives at the tag. */
const RESOURCES: Record<string, { file: string; fn: string }> = {
  genesyscloud_integration: { file: "genesyscloud/integration/resource_genesyscloud_integration_schema.go", fn: "ResourceIntegration" },
  genesyscloud_auth_role: { file: "genesyscloud/auth_role/resource_genesyscloud_auth_role_schema.go", fn: "ResourceAuthRole" },
  genesyscloud_oauth_client: { file: "genesyscloud/oauth_client/resource_genesyscloud_oauth_client_schema.go", fn: "ResourceOAuthClient" },
  genesyscloud_integration_credential: { file: "genesyscloud/integration_credential/resource_genesyscloud_integration_credential_schema.go", fn: "ResourceIntegrationCredential" },
  genesyscloud_integration_action: { file: "genesyscloud/integration_action/resource_genesyscloud_integration_action_schema.go", fn: "ResourceIntegrationAction" },
  genesyscloud_processautomation_trigger: { file: "genesyscloud/process_automation_trigger/resource_genesyscloud_processautomation_trigger.go", fn: "ResourceProcessAutomationTrigger" },
};
const PROVIDER_SCHEMA = { file: "genesyscloud/provider/provider_schema.go", fn: "ProviderSchema" };
const REGION_MAP = { file: "genesyscloud/provider/provider.go", fn: "getRegionMap" };

// ---- a small reader for the Go literals a schema is written in ----

type Tok = { t: "id" | "str" | "num" | "op"; v: string };
type Node =
  | { k: "str"; v: string }
  | { k: "num"; v: number }
  | { k: "id"; v: string }
  | { k: "call"; fn: string; args: Node[] }
  | { k: "comp"; type: string; items: { key?: Node; value: Node }[] }
  | { k: "expr" };

export function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) i++;
    else if (src.startsWith("//", i)) i = src.indexOf("\n", i) === -1 ? src.length : src.indexOf("\n", i);
    else if (src.startsWith("/*", i)) i = src.indexOf("*/", i) + 2;
    else if (c === "`") {
      const end = src.indexOf("`", i + 1);
      toks.push({ t: "str", v: src.slice(i + 1, end) });
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
      toks.push({ t: "str", v: JSON.parse(src.slice(i, j + 1)) });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      toks.push({ t: "id", v: m });
      i += m.length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9][0-9_.xXa-fA-F]*/.exec(src.slice(i))![0];
      toks.push({ t: "num", v: m });
      i += m.length;
    } else {
      const two = src.slice(i, i + 2);
      const op = [":=", "==", "!=", "&&", "||", "<=", ">="].includes(two) ? two : c;
      toks.push({ t: "op", v: op });
      i += op.length;
    }
  }
  return toks;
}

class GoReader {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}
  private peek(o = 0): Tok | undefined {
    return this.toks[this.i + o];
  }
  private is(v: string, o = 0): boolean {
    return this.peek(o)?.v === v;
  }
  private take(v?: string): Tok {
    const tok = this.toks[this.i++];
    if (v !== undefined && tok?.v !== v) throw new Error(`expected ${v}, got ${tok?.v} at token ${this.i - 1}`);
    return tok;
  }
  /** Moves to the token after the first match of `pattern`; false if none. */
  seek(pattern: string[], from = 0): boolean {
    for (let i = from; i + pattern.length <= this.toks.length; i++) {
      if (pattern.every((p, j) => this.toks[i + j].v === p)) {
        this.i = i + pattern.length;
        return true;
      }
    }
    return false;
  }
  get position(): number {
    return this.i;
  }
  /** Every `name := &schema.Resource{...}` or `name = &schema.Resource{...}` in the file. */
  namedResources(): Record<string, Node> {
    const out: Record<string, Node> = {};
    for (let i = 0; i + 5 < this.toks.length; i++) {
      const [a, b, c, d, e, f] = this.toks.slice(i, i + 6);
      if (a.t === "id" && (b.v === ":=" || b.v === "=") && c.v === "&" && d.v === "schema" && e.v === "." && f.v === "Resource") {
        this.i = i + 2;
        out[a.v] = this.value();
      }
    }
    return out;
  }
  /** Top-level `const ( NAME = "value" ... )` string and number constants. */
  constants(): Record<string, Node> {
    const out: Record<string, Node> = {};
    for (let i = 0; i + 2 < this.toks.length; i++) {
      if (this.toks[i].v === "const" && this.toks[i + 1].v === "(") {
        this.i = i + 2;
        while (!this.is(")")) {
          const name = this.take().v;
          if (this.is("=")) {
            this.take("=");
            out[name] = this.value();
          }
        }
      }
    }
    return out;
  }
  private typeName(): string {
    let s = "";
    if (this.is("*")) s += this.take().v;
    if (this.is("[")) {
      this.take("[");
      this.take("]");
      return `${s}[]${this.typeName()}`;
    }
    if (this.is("map")) {
      this.take("map");
      this.take("[");
      const k = this.typeName();
      this.take("]");
      return `${s}map[${k}]${this.typeName()}`;
    }
    s += this.take().v;
    while (this.is(".")) s += this.take().v + this.take().v;
    return s;
  }
  private composite(type: string): Node {
    this.take("{");
    const items: { key?: Node; value: Node }[] = [];
    while (!this.is("}")) {
      const first = this.value();
      if (this.is(":")) {
        this.take(":");
        items.push({ key: first, value: this.value() });
      } else items.push({ value: first });
      if (this.is(",")) this.take(",");
    }
    this.take("}");
    return { k: "comp", type, items };
  }
  private primary(): Node {
    const tok = this.peek()!;
    if (tok.v === "&") {
      this.take("&");
      return this.primary();
    }
    if (tok.v === "{") return this.composite("");
    if (tok.t === "str") return this.take() && { k: "str", v: tok.v };
    if (tok.t === "num") return this.take() && { k: "num", v: Number(tok.v.replace(/_/g, "")) };
    if (tok.v === "[" || tok.v === "map") return this.composite(this.typeName());
    if (tok.v === "(") {
      this.take("(");
      const inner = this.value();
      this.take(")");
      return inner;
    }
    if (tok.t === "id") {
      const name = this.typeName();
      if (this.is("(")) {
        this.take("(");
        const args: Node[] = [];
        while (!this.is(")")) {
          args.push(this.value());
          if (this.is(",")) this.take(",");
        }
        this.take(")");
        return { k: "call", fn: name, args };
      }
      if (this.is("{")) return this.composite(name);
      return { k: "id", v: name };
    }
    throw new Error(`unexpected token ${tok.v}`);
  }
  value(): Node {
    let left = this.primary();
    while (["+", "-", "*", "/"].includes(this.peek()?.v ?? "")) {
      const op = this.take().v;
      const right = this.primary();
      left = op === "+" && left.k === "str" && right.k === "str" ? { k: "str", v: left.v + right.v } : { k: "expr" };
    }
    return left;
  }
}

/** The composite literal `return &schema.Resource{...}` or `return map[...]...{...}` of function `fn`. */
function functionLiteral(src: string, fn: string): { reader: GoReader; node: Node } {
  const reader = new GoReader(tokenize(src));
  if (!reader.seek(["func", fn, "("])) throw new Error(`func ${fn} not found`);
  const start = reader.position;
  if (!reader.seek(["return"], start)) throw new Error(`no return in ${fn}`);
  return { reader, node: reader.value() };
}

// ---- from Go literals to the schema file's shape ----

export interface AttributeSpec {
  type: "string" | "number" | "bool" | "map" | "set" | "list";
  elem?: string;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
  force_new?: boolean;
  default?: string | number | boolean;
  enum?: string[];
  enum_ignore_case?: boolean;
  min?: number;
  max?: number;
  min_length?: number;
  max_length?: number;
}
export interface BlockSpec {
  nesting?: "list" | "set";
  min_items?: number;
  max_items?: number;
  optional?: boolean;
  computed?: boolean;
  attributes: Record<string, AttributeSpec>;
  blocks?: Record<string, BlockSpec>;
}

const TYPES: Record<string, AttributeSpec["type"]> = {
  "schema.TypeString": "string",
  "schema.TypeInt": "number",
  "schema.TypeFloat": "number",
  "schema.TypeBool": "bool",
  "schema.TypeMap": "map",
  "schema.TypeSet": "set",
  "schema.TypeList": "list",
};

interface Scope {
  resources: Record<string, Node>;
  constants: Record<string, Node>;
  calls: Record<string, () => string[]>;
}

function fields(node: Node): Record<string, Node> {
  if (node.k !== "comp") throw new Error(`expected a composite literal, got ${node.k}`);
  return Object.fromEntries(node.items.map(({ key, value }) => [key?.k === "id" ? key.v : key?.k === "str" ? key.v : "?", value]));
}

function resolve(node: Node, scope: Scope): Node {
  if (node.k === "id" && scope.constants[node.v]) return resolve(scope.constants[node.v], scope);
  if (node.k === "id" && scope.resources[node.v]) return scope.resources[node.v];
  return node;
}

function literal(node: Node, scope: Scope): string | number | boolean | undefined {
  const n = resolve(node, scope);
  if (n.k === "str" || n.k === "num") return n.v;
  if (n.k === "id" && (n.v === "true" || n.v === "false")) return n.v === "true";
  return undefined;
}

function stringList(node: Node, scope: Scope): string[] | undefined {
  const n = resolve(node, scope);
  if (n.k === "comp") return n.items.map((it) => literal(it.value, scope)).every((v) => typeof v === "string") ? n.items.map((it) => literal(it.value, scope) as string) : undefined;
  if (n.k === "call" && scope.calls[n.fn]) return scope.calls[n.fn]();
  return undefined;
}

function validator(node: Node, spec: AttributeSpec, scope: Scope): void {
  if (node.k !== "call") return;
  const nums = node.args.map((a) => literal(a, scope));
  const num = (i: number) => (typeof nums[i] === "number" ? (nums[i] as number) : undefined);
  if (node.fn === "validation.StringInSlice") {
    const values = stringList(node.args[0], scope);
    if (values) spec.enum = [...values].sort();
    if (nums[1] === true) spec.enum_ignore_case = true;
  } else if (node.fn === "validation.IntBetween") {
    spec.min = num(0);
    spec.max = num(1);
  } else if (node.fn === "validation.IntAtLeast") spec.min = num(0);
  else if (node.fn === "validation.StringLenBetween") {
    spec.min_length = num(0);
    spec.max_length = num(1);
  }
  for (const k of ["min", "max", "min_length", "max_length"] as const) if (spec[k] === undefined) delete spec[k];
}

function schemaMap(node: Node, scope: Scope): BlockSpec {
  const out: BlockSpec = { attributes: {} };
  if (node.k !== "comp") throw new Error("expected a schema map literal");
  for (const { key, value } of node.items) {
    const name = key ? literal(key, scope) : undefined;
    if (typeof name !== "string") throw new Error(`cannot read an attribute name (${JSON.stringify(key)})`);
    const f = fields(value);
    const type = f.Type?.k === "id" ? TYPES[f.Type.v] : undefined;
    if (!type) throw new Error(`${name}: unknown Type`);
    const flag = (k: string) => literal(f[k] ?? { k: "expr" }, scope) === true;
    const elem = f.Elem ? resolve(f.Elem, scope) : undefined;
    const isBlock = elem?.k === "comp" && elem.type === "schema.Resource";
    if (isBlock && (type === "list" || type === "set")) {
      const inner = schemaMap(fields(elem).Schema, scope);
      const block: BlockSpec = { nesting: type, ...inner };
      const minItems = literal(f.MinItems ?? { k: "expr" }, scope);
      const maxItems = literal(f.MaxItems ?? { k: "expr" }, scope);
      // The plugin SDK turns a Required block into min_items 1 (core schema conversion).
      if (typeof minItems === "number" && minItems > 0) block.min_items = minItems;
      else if (flag("Required")) block.min_items = 1;
      if (typeof maxItems === "number" && maxItems > 0) block.max_items = maxItems;
      if (flag("Optional")) block.optional = true;
      if (flag("Computed")) block.computed = true;
      out.blocks = { ...out.blocks, [name]: orderBlock(block) };
      continue;
    }
    const spec: AttributeSpec = { type };
    if (elem?.k === "comp" && elem.type === "schema.Schema") spec.elem = TYPES[(fields(elem).Type as { v: string }).v];
    for (const [goName, key] of [
      ["Required", "required"],
      ["Optional", "optional"],
      ["Computed", "computed"],
      ["Sensitive", "sensitive"],
      ["ForceNew", "force_new"],
    ] as const) {
      if (flag(goName)) spec[key] = true;
    }
    const dflt = f.Default ? literal(f.Default, scope) : undefined;
    if (dflt !== undefined) spec.default = dflt;
    if (f.ValidateFunc) validator(f.ValidateFunc, spec, scope);
    out.attributes[name] = spec;
  }
  return orderBlock(out);
}

function orderBlock(b: BlockSpec): BlockSpec {
  const sorted = <T>(o: Record<string, T> | undefined) => (o ? Object.fromEntries(Object.entries(o).sort(([a], [c]) => a.localeCompare(c))) : undefined);
  const { attributes, blocks, ...rest } = b;
  return { ...rest, attributes: sorted(attributes)!, ...(blocks ? { blocks: sorted(blocks) } : {}) };
}

function git(gitDir: string, ...args: string[]): string {
  return execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

/** The schema file's content for `tag`, read from the clone at `gitDir`. */
export function generate(gitDir: string, tag: string): Record<string, unknown> {
  return generateFrom((file) => git(gitDir, "show", `${tag}:${file}`), tag, git(gitDir, "rev-parse", `${tag}^{commit}`).trim());
}

/** The schema file's content from the provider's files, as `read` returns them at `tag` (commit `commit`). */
export function generateFrom(read: (file: string) => string, tag: string, commit: string): Record<string, unknown> {

  const regionSrc = read(REGION_MAP.file);
  const regionNode = functionLiteral(regionSrc, REGION_MAP.fn).node;
  if (regionNode.k !== "comp") throw new Error("getRegionMap: no map literal");
  const regions = Object.fromEntries(regionNode.items.map(({ key, value }) => [(key as { v: string }).v, (value as { v: string }).v]).sort(([a], [b]) => a.localeCompare(b)));

  const blockOf = (file: string, fn: string): BlockSpec => {
    const src = read(file);
    const { reader, node } = functionLiteral(src, fn);
    const scope: Scope = { resources: reader.namedResources(), constants: new GoReader(tokenize(src)).constants(), calls: { getAllowedRegions: () => Object.keys(regions) } };
    const schemaNode = node.k === "comp" && node.type === "schema.Resource" ? fields(node).Schema : node;
    return schemaMap(schemaNode, scope);
  };

  const provider = blockOf(PROVIDER_SCHEMA.file, PROVIDER_SCHEMA.fn);
  const resources = Object.fromEntries(Object.entries(RESOURCES).map(([type, { file, fn }]) => [type, blockOf(file, fn)]));
  return {
    "//": `Generated by scripts/genesys-provider-schema.ts from the Go source of ${REPOSITORY} at tag ${tag} (commit ${commit}): each resource's schema.Schema literal, the provider's ProviderSchema() and getRegionMap(), in the files listed under provider.files. Do not edit by hand; regenerate (docs/genesys-as-code.md).`,
    provider: {
      source: "mypurecloud/genesyscloud",
      version: tag.replace(/^v/, ""),
      repository: REPOSITORY,
      tag,
      commit,
      files: {
        provider: `${PROVIDER_SCHEMA.file} (${PROVIDER_SCHEMA.fn})`,
        regions: `${REGION_MAP.file} (${REGION_MAP.fn})`,
        ...Object.fromEntries(Object.entries(RESOURCES).map(([type, { file, fn }]) => [type, `${file} (${fn})`])),
      },
      regions,
      ...provider,
    },
    resources,
  };
}

// Run as a script (scripts/run-ts.mjs), not when a test imports generate().
if (/genesys-provider-schema\.(cjs|ts)$/.test(process.argv[1] ?? "")) {
  const args = process.argv.slice(2).filter((a) => a !== "--check");
  const [gitDir, tag] = args;
  if (!gitDir || !tag) {
    console.error("usage: npm run genesys-schema -- <git dir of a MyPureCloud/terraform-provider-genesyscloud clone> <tag, e.g. v1.84.1> [--check]");
    process.exit(2);
  }
  const text = `${JSON.stringify(generate(gitDir, tag), null, 2)}\n`;
  if (process.argv.includes("--check")) {
    if (readFileSync(SCHEMA_FILE, "utf8") !== text) {
      console.error(`${path.relative(process.cwd(), SCHEMA_FILE)} differs from ${REPOSITORY}@${tag}: run npm run genesys-schema -- ${gitDir} ${tag}`);
      process.exit(1);
    }
    console.log(`${path.relative(process.cwd(), SCHEMA_FILE)} matches ${REPOSITORY}@${tag}`);
  } else {
    writeFileSync(SCHEMA_FILE, text);
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)} from ${REPOSITORY}@${tag}`);
  }
}
