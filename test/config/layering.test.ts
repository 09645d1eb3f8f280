import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const CONFIG = path.join(__dirname, "../../config");

test("configuration depends on nothing above it: no import from constructs/ or stacks/", () => {
  const upward = readdirSync(CONFIG)
    .filter((file) => file.endsWith(".ts"))
    .flatMap((file) => [...readFileSync(path.join(CONFIG, file), "utf8").matchAll(/from "(\.\.\/(?:constructs|stacks)\/[^"]+)"/g)].map((m) => `${file} imports ${m[1]}`));
  expect(upward).toEqual([]);
});
