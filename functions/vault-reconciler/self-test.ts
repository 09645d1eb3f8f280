/**
 * The reconciler's self-test (shared/self-test.ts): its secrets, its Genesys client and
 * one minimal analytics query (one result, a five-minute interval; the result is not
 * used or logged), and its list-only vault identity: it can list `canary/` and cannot
 * read a canary blob's content (Azure answering 403 is the pass).
 */
import { RestError } from "@azure/storage-blob";
import type { GenesysClient } from "../shared/genesys-client";
import { CheckFailure, type SelfTestCheck } from "../shared/self-test";
import { genesysLoginCheck, genesysPermissionProbe, secretFieldsCheck } from "../shared/self-test-checks";
import type { ContainerAccess } from "../shared/vault-credential";

/** What to do when the list-only identity can read. */
const LIST_ONLY_FIX = "restrict the lister to List Blobs: the role assignment's ABAC condition (federated) or a list-only SAS (sas); re-apply <env>-azure";

/** Interval of the analytics probe. */
const ANALYTICS_PROBE_MS = 5 * 60_000;

/** The reconciler's checks. */
export function reconcilerChecks(deps: { runId: string; auth: "federated" | "sas"; genesys: () => GenesysClient; lister: () => ContainerAccess; now?: () => Date }): SelfTestCheck[] {
  const now = () => deps.now?.() ?? new Date();
  let listedCanary: string | undefined;
  const fields = deps.auth === "federated" ? ["blobEndpoint", "containerName", "tenantId", "clientId"] : ["blobEndpoint", "containerName", "sasToken", "expiresOn"];
  return [
    secretFieldsCheck("genesys secret", "GENESYS_SECRET_ARN", ["clientId", "clientSecret"]),
    secretFieldsCheck("vault lister secret", "AZURE_VAULT_LISTER_SECRET_ARN", fields),
    genesysLoginCheck(deps.genesys, ["genesys secret"]),
    genesysPermissionProbe(
      "genesys analytics query",
      deps.genesys,
      {
        method: "POST",
        path: "/api/v2/analytics/conversations/details/query",
        body: { interval: `${new Date(now().getTime() - ANALYTICS_PROBE_MS).toISOString()}/${now().toISOString()}`, paging: { pageSize: 1, pageNumber: 1 } },
      },
      "the permission analytics:conversationDetail:view",
    ),
    {
      name: "vault list",
      after: ["vault lister secret"],
      run: async (signal) => {
        const container = await deps.lister().container();
        const page = await container.listBlobsFlat({ prefix: "canary/", abortSignal: signal }).byPage({ maxPageSize: 1 }).next();
        listedCanary = page.done ? undefined : page.value.segment.blobItems[0]?.name;
      },
    },
    {
      name: "vault lister cannot read",
      after: ["vault list"],
      run: async (signal) => {
        const container = await deps.lister().container();
        const name = listedCanary ?? `canary/${now().toISOString().slice(0, 10).replace(/-/g, "/")}/${deps.runId}.json`;
        const where = `${new URL(container.url).host}${new URL(container.url).pathname}/${name}`;
        try {
          await container.getBlobClient(name).download(0, 1, { abortSignal: signal });
        } catch (error) {
          if (error instanceof RestError && error.statusCode === 403) return;
          if (error instanceof RestError && error.statusCode === 404) {
            throw new CheckFailure(
              `reading ${where} with the list-only credential answered 404${error.code ? ` ${error.code}` : ""}: the read was authorized, so the credential can read content`,
              LIST_ONLY_FIX,
            );
          }
          throw error;
        }
        throw new CheckFailure(`the list-only credential read ${where}: it can read blob content`, LIST_ONLY_FIX);
      },
    },
  ];
}
