/**
 * The Genesys EventBridge integration is enabled and not in error, read with a read-only
 * OAuth client: `GET /api/v2/integrations` finds it by its name (`<prefix> Amazon EventBridge`,
 * set by the `<env>-genesys` stack), `GET /api/v2/integrations/{id}` reads its state.
 */
import type { EnvironmentConfig } from "../../config/types";
import { deriveNames } from "../../config/validate";
import { GenesysClient } from "../../functions/shared/genesys-client";
import { type CheckResult, fail, type Outcome, pass, runCheck, skip, TIMEOUTS } from "./checks";

/** The client verify uses: a Genesys OAuth client (client credentials) whose role can only view integrations. */
export const GENESYS_CLIENT_ID_VAR = "GENESYS_VERIFY_CLIENT_ID";
export const GENESYS_CLIENT_SECRET_VAR = "GENESYS_VERIFY_CLIENT_SECRET";

export interface GenesysEndpoints {
  /** @default `https://api.<regionDomain>` */
  readonly api?: string;
  /** @default `https://login.<regionDomain>` */
  readonly login?: string;
}

interface Integration {
  id: string;
  name?: string;
  intendedState?: string;
  integrationType?: { id?: string };
  reportedState?: { code?: string; effective?: string; detail?: { message?: string } };
}

export function genesysIntegrationCheck(config: EnvironmentConfig, env: NodeJS.ProcessEnv, endpoints: GenesysEndpoints): Promise<CheckResult> {
  const name = `${deriveNames(config).awsPrefix} Amazon EventBridge`;
  const viewFix = `give the role of the client in ${GENESYS_CLIENT_ID_VAR} the permission integrations:integration:view`;
  return runCheck(
    "Genesys integration enabled",
    TIMEOUTS.http * 2,
    async (signal): Promise<Outcome> => {
      if (!config.genesysStack.enabled) {
        return skip("the Genesys side is set up by hand here (genesysStack.enabled is false)", "check Admin > Integrations > Amazon EventBridge Source in Genesys Cloud by hand (docs/operations.md, Genesys silent)");
      }
      const clientId = env[GENESYS_CLIENT_ID_VAR];
      const clientSecret = env[GENESYS_CLIENT_SECRET_VAR];
      if (!clientId || !clientSecret) {
        return skip(
          `not checked: ${GENESYS_CLIENT_ID_VAR} and ${GENESYS_CLIENT_SECRET_VAR} are not set`,
          `export ${GENESYS_CLIENT_ID_VAR} and ${GENESYS_CLIENT_SECRET_VAR} of a read-only client (role with integrations:integration:view only), e.g. the plan client, then run verify again`,
        );
      }
      const genesys = new GenesysClient({
        domain: config.genesys.regionDomain,
        apiBaseUrl: endpoints.api,
        loginBaseUrl: endpoints.login,
        credentials: async () => ({ clientId, clientSecret }),
        requestTimeoutMs: TIMEOUTS.http,
        maxRateLimitRetries: 0,
        fetchImpl: (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }),
      });
      const found: Integration[] = [];
      for (let pageNumber = 1; pageNumber <= 10; pageNumber++) {
        const page = await genesys.request<{ entities?: Integration[]; pageCount?: number }>("GET", "/api/v2/integrations", { query: { pageSize: "100", pageNumber: String(pageNumber) } });
        found.push(...(page.entities ?? []).filter((i) => i.name === name && i.integrationType?.id === "amazon-eventbridge-source"));
        if (pageNumber >= (page.pageCount ?? 1)) break;
      }
      if (found.length === 0) return fail(`no amazon-eventbridge-source integration named "${name}"`, `apply ${config.name}-genesys`);
      if (found.length > 1) return fail(`${found.length} integrations are named "${name}": ${found.map((i) => i.id).join(", ")}`, "delete the ones this program did not create (the <env>-genesys state holds its id)");
      const integration = await genesys.request<Integration>("GET", `/api/v2/integrations/${encodeURIComponent(found[0]!.id)}`);
      const reported = integration.reportedState;
      const state = `intended ${integration.intendedState ?? "?"}, reported ${reported?.code ?? "?"}${reported?.detail?.message ? ` (${reported.detail.message})` : ""}`;
      if (integration.intendedState !== "ENABLED") return fail(`${name} is disabled: ${state}`, `apply ${config.name}-genesys (intended_state ENABLED), or enable it in Admin > Integrations`);
      if (reported?.code === "ERROR") return fail(`${name} is in error: ${state}`, "read the integration's status detail in Admin > Integrations; check its awsAccountId, awsAccountRegion and eventSourceSuffix");
      return pass(state);
    },
    (error) => {
      const e = error as { name?: string; status?: number; code?: string; message?: string };
      if (e?.status === 403) return { reason: `Genesys refused the read: 403 ${e.code ?? ""}`.trim(), fix: viewFix };
      if (e?.name === "GenesysAuthError") return { reason: `Genesys refused the client: ${e.message ?? ""}`, fix: `check ${GENESYS_CLIENT_ID_VAR}/${GENESYS_CLIENT_SECRET_VAR} (the client exists in this org and region, with client credentials grant)` };
      return { reason: `${e?.name ?? "Error"}: ${(e?.message ?? String(error)).slice(0, 300)}`, fix: `check that api.${config.genesys.regionDomain} is reachable from this machine` };
    },
  );
}
