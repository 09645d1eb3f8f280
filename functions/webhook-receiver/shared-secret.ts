/**
 * Caller authentication by a shared secret in a request header (Genesys data actions
 * cannot sign requests; their credentials template can set a header).
 *
 * The secret lives in Secrets Manager as `{"sharedSecret": "...", "previousSharedSecret": "..."}`
 * (the second is optional: keep the old value there during a rotation until every
 * caller and every warm function has the new one). Values are read through the cached
 * secrets helper, compared in constant time, and never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { getJsonSecret, SecretError } from "../shared/secrets";

/** Shortest accepted shared secret: guessing must be hopeless. */
export const MIN_SHARED_SECRET_LENGTH = 32;

/** The accepted secrets (current first). */
export async function acceptedSecrets(secretArn: string): Promise<string[]> {
  const value = await getJsonSecret(secretArn);
  const secrets = [value.sharedSecret, value.previousSharedSecret].filter((s): s is string => typeof s === "string" && s.length > 0);
  if (typeof value.sharedSecret !== "string" || !value.sharedSecret) throw new SecretError(`secret ${secretArn} lacks string field sharedSecret`);
  if (secrets.some((s) => s.length < MIN_SHARED_SECRET_LENGTH)) {
    throw new SecretError(`secret ${secretArn}: shared secrets must be at least ${MIN_SHARED_SECRET_LENGTH} characters`);
  }
  return secrets;
}

/**
 * True when `presented` equals one of `accepted`. Both sides are hashed first, so the
 * comparison is over equal-length digests (timingSafeEqual requires it) and its time
 * reveals neither the secret's content nor its length; every accepted value is checked.
 */
export function matchesSharedSecret(presented: string | undefined, accepted: readonly string[]): boolean {
  if (presented === undefined) return false;
  const presentedDigest = createHash("sha256").update(presented, "utf8").digest();
  let match = false;
  for (const secret of accepted) {
    const expectedDigest = createHash("sha256").update(secret, "utf8").digest();
    match = timingSafeEqual(presentedDigest, expectedDigest) || match;
  }
  return match;
}
