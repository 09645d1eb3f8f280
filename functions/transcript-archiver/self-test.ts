/**
 * The archiver's self-test (shared/self-test.ts): its secrets, its Genesys client and
 * recordings permission, its vault credential (federated: the STS token and the Entra
 * exchange; sas: the days left) and one create-only canary blob, the only write.
 */
import { GetWebIdentityTokenCommand, STSClient } from "@aws-sdk/client-sts";
import type { VaultSettings } from "../shared/config";
import { AZURE_TOKEN_EXCHANGE_AUDIENCE, AwsFederatedCredential, STORAGE_SCOPE, WEB_IDENTITY_TOKEN_SECONDS } from "../shared/federated-credential";
import type { GenesysClient } from "../shared/genesys-client";
import { logger } from "../shared/logger";
import { getSecretFields } from "../shared/secrets";
import { CheckFailure, CheckNotApplicable, type SelfTestCheck } from "../shared/self-test";
import { genesysLoginCheck, genesysPermissionProbe, secretFieldsCheck, unknownConversationId } from "../shared/self-test-checks";
import type { Vault } from "./vault";

/** Fewer days of SAS validity than this fail the check (the expiry alarm's default threshold, azure.sasExpiryWarningDays). */
export const SAS_WARNING_DAYS = 7;

const VAULT_FIELDS = { sas: ["blobEndpoint", "containerName", "sasToken", "expiresOn"], federated: ["blobEndpoint", "containerName", "tenantId", "clientId"] } as const;

/** The canary blob of a run: `canary/<yyyy>/<mm>/<dd>/<runId>.json` (UTC date). */
export function canaryBlobName(runId: string, now: Date): string {
  return `canary/${now.toISOString().slice(0, 10).replace(/-/g, "/")}/${runId}.json`;
}

/** What the self-test needs from the archiver. */
export interface ArchiverSelfTestDeps {
  runId: string;
  functionName: string;
  vaultSettings: VaultSettings;
  genesys: () => GenesysClient;
  vault: () => Vault;
  now?: () => Date;
}

/** The archiver's checks. */
export function archiverChecks(deps: ArchiverSelfTestDeps): SelfTestCheck[] {
  const { vaultSettings: settings } = deps;
  const federated = settings.auth === "federated";
  const onlyIn = (mode: "federated" | "sas") => {
    if (settings.auth !== mode) throw new CheckNotApplicable(`applies in ${mode} mode; AZURE_VAULT_AUTH is ${settings.auth}`);
  };
  const checks: SelfTestCheck[] = [
    secretFieldsCheck("genesys secret", "GENESYS_SECRET_ARN", ["clientId", "clientSecret"]),
    secretFieldsCheck("vault secret", "AZURE_VAULT_SECRET_ARN", VAULT_FIELDS[settings.auth]),
  ];
  if (settings.listerSecretArn && settings.listerSecretArn !== settings.secretArn) {
    checks.push(secretFieldsCheck("vault lister secret", "AZURE_VAULT_LISTER_SECRET_ARN", VAULT_FIELDS[settings.auth]));
  }
  checks.push(
    genesysLoginCheck(deps.genesys, ["genesys secret"]),
    genesysPermissionProbe(
      "genesys recordings permission",
      deps.genesys,
      { method: "GET", path: `/api/v2/conversations/${unknownConversationId()}/recordings` },
      "the permission recording:recording:view",
    ),
    {
      name: "sts web identity token",
      after: ["vault secret"],
      run: async (signal) => {
        onlyIn("federated");
        const sts = new STSClient({ maxAttempts: 1 });
        try {
          const out = await sts.send(
            new GetWebIdentityTokenCommand({ Audience: [AZURE_TOKEN_EXCHANGE_AUDIENCE], DurationSeconds: WEB_IDENTITY_TOKEN_SECONDS, SigningAlgorithm: "RS256" }),
            { abortSignal: signal },
          );
          if (!out.WebIdentityToken) throw new CheckFailure("STS GetWebIdentityToken returned no token", "see AWS STS's status");
        } catch (error) {
          if (error instanceof Error && error.name === "OutboundWebIdentityFederationDisabledException") {
            throw new CheckFailure(
              `${error.name}: ${error.message}`,
              "outbound identity federation must be enabled once per AWS account: aws iam enable-outbound-web-identity-federation (docs/security.md)",
            );
          }
          throw error;
        } finally {
          sts.destroy();
        }
      },
      fix: (kind) =>
        kind === "aws-access-denied"
          ? `grant the function's role sts:GetWebIdentityToken with sts:IdentityTokenAudience ${AZURE_TOKEN_EXCHANGE_AUDIENCE} and sts:DurationSeconds <= ${WEB_IDENTITY_TOKEN_SECONDS} (re-apply <env>-aws)`
          : undefined,
    },
    {
      name: "entra token exchange",
      after: ["sts web identity token"],
      run: async () => {
        onlyIn("federated");
        const { tenantId, clientId } = await getSecretFields(settings.secretArn, ["tenantId", "clientId"]);
        // A new credential: a fresh exchange, not a cached token.
        const credential = new AwsFederatedCredential({ tenantId, clientId, authorityHost: settings.authorityHost }, { requestTimeoutMs: settings.requestTimeoutMs, maxTries: 1 });
        await credential.getToken(STORAGE_SCOPE);
      },
    },
    {
      name: "vault canary write",
      after: federated ? ["entra token exchange"] : ["vault secret"],
      run: async () => {
        const now = deps.now?.() ?? new Date();
        const name = canaryBlobName(deps.runId, now);
        const content = Buffer.from(JSON.stringify({ kind: "self-test canary", function: deps.functionName, runId: deps.runId, writtenAt: now.toISOString() }));
        // With the index tags every archived blob carries: in federated mode this also proves blobs/tags/write.
        const { outcome } = await deps.vault().putBytes(name, content, { canary: "true", runid: deps.runId }, { kind: "canary", date: now.toISOString().slice(0, 10) });
        logger.info("self-test canary written", { blobName: name, outcome, bytes: content.length });
      },
    },
    {
      name: "vault SAS days left",
      after: ["vault secret"],
      run: async () => {
        onlyIn("sas");
        const { expiresOn } = await getSecretFields(settings.secretArn, ["expiresOn"]);
        const at = Date.parse(expiresOn);
        if (Number.isNaN(at)) throw new CheckFailure(`secret ${settings.secretArn}: expiresOn is not a date`, "re-apply <env>-azure to rotate the SAS and refill the secret");
        const daysLeft = Math.floor((at - (deps.now?.() ?? new Date()).getTime()) / 86_400_000);
        logger.info("vault SAS validity", { expiresOn, daysLeft });
        if (daysLeft < SAS_WARNING_DAYS) {
          throw new CheckFailure(
            daysLeft < 0 ? `the vault SAS expired on ${expiresOn}` : `the vault SAS expires in ${daysLeft} day(s), on ${expiresOn} (under ${SAS_WARNING_DAYS})`,
            "rotate it: re-apply <env>-azure, which issues a new SAS and refills the secret",
          );
        }
      },
    },
  );
  return checks;
}
