/**
 * Minimal RS256 JSON Web Tokens for local identity fakes (STS outbound federation,
 * Entra ID): sign with a generated key, verify with its public key.
 */
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function newSigningKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

const b64url = (value: Buffer | string) => Buffer.from(value).toString("base64url");

export function signJwt(key: SigningKey, claims: Record<string, unknown>): string {
  const head = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: key.kid }));
  const body = b64url(JSON.stringify(claims));
  return `${head}.${body}.${sign("sha256", Buffer.from(`${head}.${body}`), key.privateKey).toString("base64url")}`;
}

/** The claims of a token signed by `publicKey`, or undefined when malformed or not signed by it. */
export function verifyJwt(token: string, publicKey: KeyObject | string): Record<string, any> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"));
    if (header.alg !== "RS256") return undefined;
    const key = typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey;
    if (!verify("sha256", Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2]!, "base64url"))) return undefined;
    return JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}
