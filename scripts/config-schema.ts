/**
 * `npm run schema`: writes config/environments.schema.json (the editors' JSON
 * Schema of a GCV_CONFIG_FILE) from the key declaration in config/schema.ts.
 * `--check` exits 1 if the committed file is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { configFileJsonSchema } from "../config/schema";

const ROOT = path.resolve(__dirname, "..", "..");
const SCHEMA_FILE = path.join(ROOT, "config", "environments.schema.json");
const text = `${JSON.stringify(configFileJsonSchema(), null, 2)}\n`;

if (process.argv.includes("--check")) {
  if (readFileSync(SCHEMA_FILE, "utf8") !== text) {
    console.error("config/environments.schema.json is out of date: run npm run schema");
    process.exit(1);
  }
  console.log("config/environments.schema.json is up to date");
} else {
  writeFileSync(SCHEMA_FILE, text);
  console.log(`wrote ${path.relative(ROOT, SCHEMA_FILE)}`);
}
