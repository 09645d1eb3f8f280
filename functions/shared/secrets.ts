/**
 * Secrets Manager access with an in-memory cache (Powertools Parameters), so a warm
 * Lambda reads each secret at most once per TTL. Values are never logged: errors
 * name the secret and the problem, not the content.
 */
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { intEnv } from "./config";

/** A secret is missing, unreadable or not the expected JSON shape. */
export class SecretError extends Error {
  override readonly name = "SecretError";
}

/** Options of {@link getJsonSecret}. */
export interface SecretReadOptions {
  /** Bypass the cache (e.g. after the credential was refused: it may have been rotated). @default false */
  forceFetch?: boolean;
  /**
   * With `forceFetch`: the re-read follows a refusal, so re-reads of the same secret within
   * a second of the last one answer from the cache it refreshed (a batch whose records all
   * saw the credential refused makes one read). Without it a forced read is always fresh
   * (concurrent callers still share one read). @default false
   */
  afterRefusal?: boolean;
  /** Cache TTL in seconds. @default SECRETS_CACHE_TTL_SECONDS (300) */
  maxAgeSeconds?: number;
}

/**
 * Reads a secret whose value is a JSON object.
 * @example const { sasToken } = await getJsonSecret(arn);
 */
export function getJsonSecret(secretId: string, opts: SecretReadOptions = {}): Promise<Record<string, unknown>> {
  return singleFlight(secretId, opts);
}

/** Reads in flight, per secret and kind (cached or forced): concurrent callers share one. */
const inFlight = new Map<string, Promise<Record<string, unknown>>>();
/** When each secret was last force-read (epoch ms). */
const lastForcedRead = new Map<string, number>();
/** Forced re-reads of one secret closer together than this share the earlier result. */
const FORCED_READ_SPACING_MS = 1_000;

/**
 * Single flight: a cold container whose records all ask for a secret at once makes
 * one read, not one per record; concurrent forced re-reads (every record saw the
 * same credential refused) also share one read, and forced re-reads within
 * FORCED_READ_SPACING_MS of the last one answer from the cache it refreshed.
 */
function singleFlight(secretId: string, opts: SecretReadOptions): Promise<Record<string, unknown>> {
  let force = opts.forceFetch ?? false;
  if (force && opts.afterRefusal && Date.now() - (lastForcedRead.get(secretId) ?? 0) < FORCED_READ_SPACING_MS) force = false;
  const key = `${secretId}|${force}`;
  const pending = inFlight.get(key) ?? (force ? undefined : inFlight.get(`${secretId}|true`));
  if (pending) return pending;
  if (force) lastForcedRead.set(secretId, Date.now());
  const read = readJsonSecret(secretId, { ...opts, forceFetch: force }).finally(() => inFlight.delete(key));
  inFlight.set(key, read);
  return read;
}

/**
 * Re-reads a secret after its credential was refused by a service although a fresh
 * token or a retry could not help (Genesys `invalid_client`, an Azure 403): it may
 * have been fixed or rotated since the container cached it. Concurrent callers share
 * one read (see {@link getJsonSecret}); every function should use this rather than
 * waiting for the cache TTL.
 * @example const fresh = await rereadSecret(arn); // after a 403
 */
export function rereadSecret(secretId: string): Promise<Record<string, unknown>> {
  return getJsonSecret(secretId, { forceFetch: true, afterRefusal: true });
}

async function readJsonSecret(secretId: string, opts: SecretReadOptions): Promise<Record<string, unknown>> {
  let raw: unknown;
  try {
    raw = await getSecret(secretId, {
      maxAge: opts.maxAgeSeconds ?? intEnv("SECRETS_CACHE_TTL_SECONDS"),
      forceFetch: opts.forceFetch ?? false,
    });
  } catch (error) {
    const reason = error instanceof Error ? `${(error.cause as Error | undefined)?.name ?? error.name}: ${(error.cause as Error | undefined)?.message ?? error.message}` : String(error);
    throw new SecretError(`cannot read secret ${secretId}: ${reason}`, { cause: error });
  }
  const text = typeof raw === "string" ? raw : raw instanceof Uint8Array ? Buffer.from(raw).toString("utf8") : undefined;
  if (text === undefined) throw new SecretError(`secret ${secretId} has no value`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SecretError(`secret ${secretId} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SecretError(`secret ${secretId} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Reads string fields of a JSON secret, failing clearly (by field name only) if any is missing. */
export async function getSecretFields<K extends string>(
  secretId: string,
  fields: readonly K[],
  opts: SecretReadOptions = {},
): Promise<Record<K, string>> {
  const value = await getJsonSecret(secretId, opts);
  const missing = fields.filter((field) => typeof value[field] !== "string" || !(value[field] as string));
  if (missing.length) throw new SecretError(`secret ${secretId} lacks string field(s): ${missing.join(", ")}`);
  return Object.fromEntries(fields.map((field) => [field, value[field] as string])) as Record<K, string>;
}

/** Genesys client credentials from a secret `{"clientId": "...", "clientSecret": "..."}`. */
export function getGenesysCredentials(secretId: string, opts: SecretReadOptions = {}): Promise<{ clientId: string; clientSecret: string }> {
  return getSecretFields(secretId, ["clientId", "clientSecret"], opts);
}
