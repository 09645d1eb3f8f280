/**
 * Vault credential expiry: on a schedule, reads `expiresOn` of the vault writer
 * secret (AZURE_VAULT_SECRET_ARN) and publishes the days left as the metric
 * `VaultCredentialDaysLeft`. The alarm on it treats missing data as breaching, so
 * a secret that was never delivered, lost its `expiresOn` or cannot be read (this
 * function throws, publishes nothing) alarms like a credential about to expire.
 *
 * Only `expiresOn` is used: the token itself is never logged or returned.
 */
import { requireEnv } from "../shared/config";
import type { LambdaContext } from "../shared/lambda-types";
import { errorFields, logger } from "../shared/logger";
import { BUSINESS_METRICS, gaugeMetric } from "../shared/metrics";
import { getJsonSecret } from "../shared/secrets";

const DAY_MS = 86_400_000;

/** What one run found. */
export interface ExpiryReport {
  expiresOn: string;
  daysLeft: number;
}

/** Days (two decimals) from `now` until `expiresOn`; negative once expired. */
export function daysLeft(expiresOn: unknown, now: Date): number {
  const at = typeof expiresOn === "string" ? Date.parse(expiresOn) : Number.NaN;
  if (Number.isNaN(at)) throw new Error(`the vault writer secret has no valid expiresOn (got ${typeof expiresOn === "string" ? JSON.stringify(expiresOn.slice(0, 40)) : typeof expiresOn})`);
  return Math.round(((at - now.getTime()) / DAY_MS) * 100) / 100;
}

/** Lambda entry point (EventBridge schedule). */
export const handler = async (_event: unknown, context: LambdaContext): Promise<ExpiryReport> => {
  logger.addContext(context as never);
  const secretArn = requireEnv("AZURE_VAULT_SECRET_ARN");
  try {
    // Always the current version: a rotation must show at once.
    const { expiresOn } = await getJsonSecret(secretArn, { forceFetch: true });
    const left = daysLeft(expiresOn, new Date());
    gaugeMetric(BUSINESS_METRICS.vaultCredentialDaysLeft, left);
    const report = { expiresOn: String(expiresOn), daysLeft: left };
    if (left < 0) logger.error("vault writer credential has expired", report);
    else logger.info("vault writer credential checked", report);
    return report;
  } catch (error) {
    logger.error("cannot tell when the vault writer credential expires: no metric published, the alarm treats that as breaching", errorFields(error));
    throw error;
  }
};
