import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bundleFunction, listFunctions, REQUIRE_SHIM } from "../../lib/bundling";

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("bundleFunction", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test("lists every functions/<name> with a handler, never shared", () => {
    expect(listFunctions()).toContain("transcript-archiver");
    expect(listFunctions()).not.toContain("shared");
  });

  test("two builds of the same sources are byte-identical (code and source map), ESM with the require shim", () => {
    const [first, second] = [0, 1].map(() => {
      const dir = mkdtempSync(path.join(tmpdir(), "bundle-"));
      dirs.push(dir);
      return bundleFunction("transcript-archiver", { outDir: dir });
    });
    expect(sha256(first!.entry)).toBe(sha256(second!.entry));
    expect(sha256(`${first!.entry}.map`)).toBe(sha256(`${second!.entry}.map`));
    const code = readFileSync(first!.entry, "utf8");
    expect(code.startsWith(REQUIRE_SHIM)).toBe(true);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(JSON.parse(readFileSync(`${first!.entry}.map`, "utf8")).sourcesContent).toBeUndefined();
  });

  test("is memoized per output directory and rejects unknown names clearly", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bundle-"));
    dirs.push(dir);
    expect(bundleFunction("transcript-archiver", { outDir: dir })).toBe(bundleFunction("transcript-archiver", { outDir: dir }));
    expect(() => bundleFunction("no-such-function")).toThrow(/no function "no-such-function"/);
  });
});
