/**
 * `npm run genesys:preflight -- --env <env>`: run before applying `<env>-genesys`
 * (the deploy workflow does). It changes nothing; it reads, with the deploy
 * client's own credentials (GENESYSCLOUD_OAUTHCLIENT_ID/_SECRET), whether that
 * client already holds every role `<env>-genesys` grants to a pipeline client.
 *
 * Why: the provider's `genesyscloud_oauth_client.roles` says "The roles must
 * also already be assigned to the OAuth Client used by Terraform", and when
 * Terraform runs with a client-credentials client the provider does not assign
 * them itself (it only logs that creating a role and assigning it to an OAuth
 * client may fail). No provider resource can grant a role to an OAuth client,
 * so on a first deploy the roles would be created and every client creation
 * would then fail. This check fails first, with the exact one-time steps.
 *
 * Exit codes: 0 ready (or the environment has no Genesys stacks), 1 not ready
 * (the steps are printed; nothing was changed), 2 bad input, 3 Genesys refused
 * the reads (the deploy client lacks `oauth:client:view` or `authorization:role:view`).
 */
import { loadEnvironments } from "../config/load";
import type { EnvironmentConfig } from "../config/types";
import { deriveNames } from "../config/validate";
import { deployedClientPipelines } from "../constructs/genesys/pipeline-clients";
import { GenesysAuthError, GenesysClient, GenesysClientError } from "../functions/shared/genesys-client";

/** One role `<env>-genesys` grants, and where it stands. */
export interface PipelineRoleState {
  readonly name: string;
  /** Terraform address of the role in `<env>-genesys`. */
  readonly address: string;
  /** Its Genesys id, when the role exists. */
  readonly id?: string;
  /** The deploy client holds it (in any division). */
  readonly held: boolean;
}

export interface PreflightReport {
  readonly ready: boolean;
  readonly deployClient: { readonly id: string; readonly name: string };
  readonly roles: readonly PipelineRoleState[];
  /** What to print: a confirmation, or the one-time steps. */
  readonly lines: readonly string[];
}

interface OAuthClientBody {
  name?: string;
  roleDivisions?: { roleId?: string; divisionId?: string }[];
}
interface RoleListing {
  entities?: { id: string; name: string }[];
  pageCount?: number;
}

/** The role named exactly `name`, if the org has one (the `name` filter may also return partial matches). */
async function findRole(client: Pick<GenesysClient, "request">, name: string): Promise<string | undefined> {
  for (let page = 1; ; page++) {
    const listing = await client.request<RoleListing>("GET", "/api/v2/authorization/roles", { query: { name, pageSize: "100", pageNumber: String(page) } });
    const exact = listing.entities?.find((r) => r.name === name);
    if (exact) return exact.id;
    if (!listing.pageCount || page >= listing.pageCount) return undefined;
  }
}

/** Reads what the deploy client holds and compares it with the roles `<env>-genesys` grants. */
export async function checkDeployClientRoles(env: EnvironmentConfig, deployClientId: string, client: Pick<GenesysClient, "request">): Promise<PreflightReport> {
  const prefix = deriveNames(env).awsPrefix;
  const stack = `${env.name}-genesys`;
  const deploy = await client.request<OAuthClientBody>("GET", `/api/v2/oauth/clients/${encodeURIComponent(deployClientId)}`);
  const held = new Set((deploy.roleDivisions ?? []).map((g) => g.roleId));
  const roles: PipelineRoleState[] = [];
  for (const pipeline of deployedClientPipelines(env)) {
    const name = `${prefix}-${pipeline}`;
    const id = await findRole(client, name);
    roles.push({ name, address: `genesyscloud_auth_role.${pipeline}-role`, id, held: id !== undefined && held.has(id) });
  }
  const deployClient = { id: deployClientId, name: deploy.name ?? deployClientId };
  const missing = roles.filter((r) => r.id === undefined);
  const unheld = roles.filter((r) => !r.held);
  if (unheld.length === 0) {
    return { ready: true, deployClient, roles, lines: [`${stack}: the deploy client "${deployClient.name}" holds every pipeline role (${roles.map((r) => r.name).join(", ")}); ready to apply.`] };
  }
  const dir = `cdktf.out/stacks/${stack}`;
  const lines = [
    `${stack} cannot be applied yet: the deploy client "${deployClient.name}" (${deployClientId}) does not hold ${unheld.map((r) => r.name).join(", ")}.`,
    `The provider creates a pipeline's OAuth client only if the client running Terraform already holds the roles it grants ("The roles must also already be assigned to the OAuth Client used by Terraform", genesyscloud_oauth_client), and no resource can grant them to it. Nothing has been changed.`,
    "Once per environment (and again after adding a pipeline):",
  ];
  let step = 1;
  if (missing.length > 0) {
    lines.push(
      `  ${step++}. Create only the missing roles (with the same credentials):`,
      "       npm run synth",
      `       terraform -chdir=${dir} init`,
      `       terraform -chdir=${dir} apply ${missing.map((r) => `-target=${r.address}`).join(" ")}`,
    );
  }
  lines.push(
    `  ${step++}. As a Genesys admin: Admin > Integrations > OAuth > "${deployClient.name}" > Roles: add ${unheld.map((r) => (r.id ? `${r.name} (${r.id})` : r.name)).join(", ")} in the home division, then Save.`,
    `  ${step++}. Run this check again (npm run genesys:preflight -- --env ${env.name}), then deploy.`,
  );
  return { ready: false, deployClient, roles, lines };
}

export interface PreflightIo {
  out(line: string): void;
  err(line: string): void;
}

/** The command: parses `--env`, checks, prints; returns the exit code. */
export async function runPreflight(argv: readonly string[], io: PreflightIo, processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  const i = argv.indexOf("--env");
  const name = i >= 0 ? argv[i + 1] : undefined;
  if (!name || argv.length !== 2) {
    io.err("usage: npm run genesys:preflight -- --env <env>   (GENESYSCLOUD_OAUTHCLIENT_ID and _SECRET: the deploy client)");
    return 2;
  }
  const env = loadEnvironments({ env: processEnv }).find((e) => e.name === name);
  if (!env) {
    io.err(`genesys:preflight: no environment named ${JSON.stringify(name)}`);
    return 2;
  }
  if (!env.genesysStack.enabled) {
    io.out(`${name}: genesysStack is off; there is no Genesys stack to check.`);
    return 0;
  }
  const clientId = processEnv.GENESYSCLOUD_OAUTHCLIENT_ID;
  const clientSecret = processEnv.GENESYSCLOUD_OAUTHCLIENT_SECRET;
  if (!clientId || !clientSecret) {
    io.err("genesys:preflight: set GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET to the deploy client (the provider's credentials)");
    return 2;
  }
  const client = new GenesysClient({
    domain: env.genesys.regionDomain,
    credentials: async () => ({ clientId, clientSecret }),
    // Overrides for tests (as the functions have).
    apiBaseUrl: processEnv.GENESYS_API_BASE_URL,
    loginBaseUrl: processEnv.GENESYS_LOGIN_BASE_URL,
  });
  try {
    const report = await checkDeployClientRoles(env, clientId, client);
    for (const line of report.lines) (report.ready ? io.out : io.err)(line);
    return report.ready ? 0 : 1;
  } catch (error) {
    if (error instanceof GenesysAuthError || (error instanceof GenesysClientError && (error.status === 403 || error.status === 404))) {
      io.err(
        `genesys:preflight: Genesys refused reading the deploy client or roles (${(error as Error).message}); the deploy client needs oauth:client:view and authorization:role:view, which the provider needs too. Nothing was changed.`,
      );
      return 3;
    }
    throw error;
  }
}

// Run as a script (scripts/run-ts.mjs), not when a test imports it.
if (/genesys-preflight\.(cjs|ts)$/.test(process.argv[1] ?? "")) {
  runPreflight(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`genesys:preflight: unexpected failure: ${(error as Error).stack ?? error}`);
      process.exit(1);
    },
  );
}
