#!/usr/bin/env node
// Adds lockfile entries for platform-specific optional packages that the
// registry this lockfile was made with did not serve (e.g. a mirror holding
// only linux binaries of @swc/core or unrs-resolver). npm install skips such
// packages silently, but `npm ci` then refuses the lockfile ("Missing: ... from
// lock file"). Each added entry carries os/cpu/libc, so npm installs it only on
// its own platform and fetches it from the registry there, and the registry's
// `resolved` URL and `integrity` hash (asked with `npm view <name>@<version> dist`),
// so that install is verified like every other package.
//
// Run after `npm install` whenever package-lock.json changed:
//   node scripts/complete-lockfile.mjs        (writes package-lock.json)
//   node scripts/complete-lockfile.mjs --check (exit 1 if entries or hashes are missing; no network)
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const lockPath = path.join(root, "package-lock.json");
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const packages = lock.packages;

const OS = ["darwin", "win32", "linux", "freebsd", "android", "openharmony", "sunos", "aix", "netbsd", "openbsd"];
const CPU = { x64: "x64", arm64: "arm64", arm: "arm", ia32: "ia32", ppc64: "ppc64", s390x: "s390x", riscv64: "riscv64", loong64: "loong64" };

/** Infers os, cpu and libc from a platform package name such as `@swc/core-linux-arm-gnueabihf`. */
function platformOf(name) {
  const tokens = name.split("/").pop().split("-");
  const os = tokens.find((t) => OS.includes(t));
  const cpuToken = tokens.find((t) => t in CPU);
  if (!os || !cpuToken) return undefined;
  const entry = { os: [os], cpu: [CPU[cpuToken]] };
  if (os === "linux") {
    if (tokens.some((t) => t.startsWith("musl"))) entry.libc = ["musl"];
    else if (tokens.some((t) => t.startsWith("gnu"))) entry.libc = ["glibc"];
  }
  return entry;
}

/** Where npm would place `dep` when required from the package at `from`. */
function resolvedPath(from, dep) {
  for (let dir = from; ; dir = dir.slice(0, dir.lastIndexOf("/node_modules/"))) {
    const candidate = `${dir ? `${dir}/` : ""}node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    if (!dir.includes("/node_modules/")) {
      const top = `node_modules/${dep}`;
      return packages[top] ? top : undefined;
    }
  }
}

const added = [];
const unknown = [];
for (const [from, meta] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    if (resolvedPath(from, dep)) continue;
    const platform = platformOf(dep);
    if (!platform) {
      unknown.push(`${dep}@${version} (optional dependency of ${from || "the project"})`);
      continue;
    }
    const at = `node_modules/${dep}`;
    if (packages[at]) continue;
    packages[at] = { version, optional: true, ...platform };
    added.push(`${dep}@${version}`);
  }
}

if (unknown.length) {
  console.error(`complete-lockfile: cannot tell the platform of:\n  ${unknown.join("\n  ")}`);
  process.exit(2);
}

/** Entries (added now or earlier) that npm would fetch without verifying them. */
const unverified = Object.entries(packages).filter(([at, meta]) => at && !meta.link && !meta.inBundle && !meta.integrity);

/** The registry's tarball URL and integrity hash of one version. */
function registryDist(name, version) {
  const out = execFileSync("npm", ["view", `${name}@${version}`, "dist", "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const dist = JSON.parse(out);
  if (typeof dist?.integrity !== "string" || !dist.integrity.startsWith("sha512-") || typeof dist.tarball !== "string") {
    throw new Error(`complete-lockfile: the registry has no sha512 integrity for ${name}@${version}`);
  }
  return { resolved: dist.tarball, integrity: dist.integrity };
}

if (process.argv.includes("--check")) {
  if (added.length || unverified.length) {
    if (added.length) console.error(`complete-lockfile: package-lock.json lacks ${added.length} platform entries`);
    if (unverified.length) console.error(`complete-lockfile: ${unverified.length} entries have no integrity hash: ${unverified.map(([at]) => at).join(", ")}`);
    console.error("run node scripts/complete-lockfile.mjs");
    process.exit(1);
  }
  console.log("complete-lockfile: package-lock.json is complete and every entry has an integrity hash");
} else if (added.length || unverified.length) {
  for (const [at, meta] of Object.entries(packages)) {
    if (!at || meta.link || meta.inBundle || meta.integrity) continue;
    const name = at.slice(at.lastIndexOf("node_modules/") + "node_modules/".length);
    // Keep npm's key order within an entry: version, resolved, integrity, then the rest.
    const { version, ...rest } = meta;
    packages[at] = { version, ...registryDist(name, version), ...rest };
  }
  // Keep npm's key order (sorted) so diffs stay small.
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`complete-lockfile: added ${added.length} entries and ${unverified.length} integrity hashes${added.length ? `:\n  ${added.join("\n  ")}` : ""}`);
} else {
  console.log("complete-lockfile: nothing to add");
}
