/**
 * `npm run plan-role-policy`: writes docs/plan-role-policy.json, the AWS plan role's policy
 * (lib/plan-role.ts), with placeholders `<account>`, `<state-bucket>` and `<state-kms-key-arn>`.
 * `--check` exits 1 if the committed file is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { planRolePolicy } from "../lib/plan-role";

const ROOT = path.resolve(__dirname, "..", "..");
const FILE = path.join(ROOT, "docs", "plan-role-policy.json");
const text = `${JSON.stringify(planRolePolicy(), null, 2)}\n`;

if (process.argv.includes("--check")) {
  if (readFileSync(FILE, "utf8") !== text) {
    console.error("docs/plan-role-policy.json is out of date: run npm run plan-role-policy");
    process.exit(1);
  }
  console.log("docs/plan-role-policy.json is up to date");
} else {
  writeFileSync(FILE, text);
  console.log(`wrote ${path.relative(ROOT, FILE)}`);
}
