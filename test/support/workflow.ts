/** Reads a GitHub Actions workflow of this repository, parsed, plus helpers the workflow tests share. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "../..");

export interface Step {
  id?: string;
  uses?: string;
  run?: string;
  name?: string;
  if?: string;
  "working-directory"?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}

export interface Job {
  needs?: string | string[];
  /** A reusable workflow this job calls (then it has no steps), with its inputs. */
  uses?: string;
  with?: Record<string, unknown>;
  if?: string;
  permissions?: Record<string, string>;
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix?: Record<string, unknown>; "max-parallel"?: number; "fail-fast"?: boolean };
  outputs?: Record<string, string>;
  steps: Step[];
}

export function readWorkflow(file: string): { source: string; workflow: { on: Record<string, any>; permissions: Record<string, string>; jobs: Record<string, Job>; concurrency?: unknown } } {
  const source = readFileSync(path.join(ROOT, file), "utf8");
  return { source, workflow: parse(source) };
}

/** Every `uses:` of the workflow and of the local composite actions and reusable workflows it calls. */
export function allUses(source: string): string[] {
  const uses = [...source.matchAll(/^\s*-?\s*uses:\s*(\S+)/gm)].map((m) => m[1]!);
  const local = uses.filter((u) => u.startsWith("./"));
  return [
    ...uses.filter((u) => !u.startsWith("./")),
    ...local.flatMap((ref) => allUses(readFileSync(path.join(ROOT, ref.endsWith(".yml") ? ref : path.join(ref, "action.yml")), "utf8"))),
  ];
}

/** Third-party actions this repository uses, pinned to these commits (tag in the comment beside each `uses:`). */
export const PINNED_ACTIONS: Record<string, string> = {
  "actions/checkout": "11bd71901bbe5b1630ceea73d27597364c9af683", // v4.2.2
  "actions/setup-node": "49933ea5288caeca8642d1e84afbd3f7d6820020", // v4.4.0
  "hashicorp/setup-terraform": "b9cd54a3c349d3f38e8881555d616ced269862dd", // v3.1.2
  "aws-actions/configure-aws-credentials": "b47578312673ae6fa5b5096b330d9fbac3d116df", // v4.2.1
  "azure/login": "a457da9ea143d694b1b9c7c869ebb04ebe844ef5", // v2.3.0
  "actions/github-script": "60a0d83039c74a4aee543508d2ffcb1c3799cdea", // v7.0.1
  "actions/upload-artifact": "ea165f8d65b6e75b540449e92b4886f43607fa02", // v4.6.2
  "actions/download-artifact": "d3f86a106a0bac45b974a628896c90dbdf5c8093", // v4.3.0
};

export const ROOT_DIR = ROOT;

/**
 * The workflow's text without the Genesys client-credential secrets (the provider's
 * `GENESYSCLOUD_OAUTHCLIENT_*` and verify's read-only `GENESYS_VERIFY_CLIENT_*`): Genesys
 * has no OIDC federation, so those (a GitHub environment secret each) are the only stored
 * credentials a workflow may reference. Every cloud credential must be OIDC.
 */
export function withoutGenesysClientSecrets(source: string): string {
  return source.replace(/^ *(GENESYSCLOUD_OAUTHCLIENT|GENESYS_VERIFY_CLIENT)_(ID|SECRET): \$\{\{ secrets\.\1_\2 \}\}\n/gm, "");
}
