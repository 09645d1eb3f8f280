import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bundleFunction, listFunctions, REQUIRE_SHIM } from "../../lib/bundling";

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

// Builds use the smallest function: what is checked holds for every function, and each build costs CPU.
const SMALLEST = "credential-expiry";

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
      return bundleFunction(SMALLEST, { outDir: dir });
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
    expect(bundleFunction(SMALLEST, { outDir: dir })).toBe(bundleFunction(SMALLEST, { outDir: dir }));
    expect(() => bundleFunction("no-such-function")).toThrow(/no function "no-such-function"/);
  });

  describe("build cache across processes", () => {
    /** bundleFunction as a fresh process sees it (empty memo), counting esbuild builds. */
    const freshBundle = (outDir: string) => {
      let builds = 0;
      let bundle: ReturnType<typeof bundleFunction> | undefined;
      jest.isolateModules(() => {
        const esbuild = jest.requireActual<typeof import("esbuild")>("esbuild");
        const buildSync = (...args: Parameters<typeof esbuild.buildSync>) => {
          builds++;
          return esbuild.buildSync(...args);
        };
        jest.doMock("esbuild", () => ({ ...esbuild, buildSync }));
        bundle = (require("../../lib/bundling") as typeof import("../../lib/bundling")).bundleFunction(SMALLEST, { outDir });
      });
      return { builds, bundle: bundle! };
    };
    const built = () => {
      const dir = mkdtempSync(path.join(tmpdir(), "bundle-cache-"));
      dirs.push(dir);
      const first = freshBundle(dir);
      expect(first.builds).toBe(1);
      return { dir, first: first.bundle, code: readFileSync(first.bundle.entry) };
    };

    test("an unchanged build is reused by the next process without running esbuild, with the same files", () => {
      const { dir, first, code } = built();
      const second = freshBundle(dir);
      expect(second.builds).toBe(0);
      expect(second.bundle).toEqual(first);
      expect(readFileSync(second.bundle.entry).equals(code)).toBe(true);
    });

    test("an input that no longer hashes as recorded rebuilds", () => {
      const { dir } = built();
      const recordFile = path.join(dir, `${SMALLEST}.inputs.json`);
      const record = JSON.parse(readFileSync(recordFile, "utf8")) as { files: Record<string, string> };
      const handler = Object.keys(record.files).find((file) => file.endsWith(path.join("functions", SMALLEST, "handler.ts")));
      expect(handler).toBeDefined();
      record.files[handler!] = "0".repeat(64); // as if handler.ts had been edited since
      writeFileSync(recordFile, JSON.stringify(record));
      expect(freshBundle(dir).builds).toBe(1);
      expect(freshBundle(dir).builds).toBe(0);
    });

    test("an edited output is rebuilt, not shipped", () => {
      const { dir, first, code } = built();
      writeFileSync(first.entry, "export const handler = () => 'edited';");
      expect(freshBundle(dir).builds).toBe(1);
      expect(readFileSync(first.entry).equals(code)).toBe(true);
    });

    test("BUNDLE_CACHE=off always builds", () => {
      const { dir } = built();
      process.env.BUNDLE_CACHE = "off";
      try {
        expect(freshBundle(dir).builds).toBe(1);
      } finally {
        delete process.env.BUNDLE_CACHE;
      }
    });
  });
});
