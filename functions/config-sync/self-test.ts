/**
 * Config sync's self-test (shared/self-test.ts): the Auto Scaling groups its rules name
 * are readable, and every Genesys object its rules write is readable (GET) with its own
 * client. Nothing is written to Genesys or to the audit table.
 */
import { GenesysClientError, type GenesysClient } from "../shared/genesys-client";
import { CheckFailure, type SelfTestCheck } from "../shared/self-test";
import { GENESYS_LOGIN_CHECK, genesysLoginCheck, secretFieldsCheck } from "../shared/self-test-checks";
import { targetApiPath, type SyncRule } from "../shared/sync-rules";
import type { ServingCapacity } from "./capacity";

/** Config sync's checks for `rules` (SYNC_RULES). */
export function configSyncChecks(rules: () => SyncRule[], capacity: () => ServingCapacity, genesys: () => GenesysClient): SelfTestCheck[] {
  return [
    secretFieldsCheck("genesys secret", "GENESYS_SECRET_ARN", ["clientId", "clientSecret"]),
    {
      name: "auto scaling groups",
      run: async (signal) => {
        const names = [...new Set(rules().map((rule) => rule.source.autoScalingGroupName))];
        const found = await capacity().existingGroups(names, signal);
        const missing = names.filter((name) => !found.has(name));
        if (missing.length) {
          throw new CheckFailure(
            `DescribeAutoScalingGroups does not return ${missing.join(", ")} (of ${names.length} group(s) in SYNC_RULES)`,
            "the sync rules name Auto Scaling groups that do not exist in this account and region: correct the environment's sync rules",
          );
        }
      },
      fix: (kind) => (kind === "aws-access-denied" ? "grant config sync's role autoscaling:DescribeAutoScalingGroups (re-apply <env>-aws)" : undefined),
    },
    genesysLoginCheck(genesys, ["genesys secret"]),
    {
      name: "genesys targets readable",
      after: [GENESYS_LOGIN_CHECK],
      run: async () => {
        for (const path of new Set(rules().map((rule) => targetApiPath(rule.target)))) {
          try {
            await genesys().request("GET", path);
          } catch (error) {
            if (error instanceof GenesysClientError && error.status === 403) {
              throw new CheckFailure(`Genesys refused GET ${path}: ${error.message}`, "add the permission Genesys names (viewing routing utilization or queues) to the role of config sync's Genesys OAuth client");
            }
            if (error instanceof GenesysClientError && error.status === 404) {
              throw new CheckFailure(`GET ${path} answered 404: the queue or user a sync rule names does not exist`, "correct the environment's sync rules (queue and user ids)");
            }
            throw error;
          }
        }
      },
    },
  ];
}
