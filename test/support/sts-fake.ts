/**
 * A local AWS STS fake for IAM outbound identity federation: `GetWebIdentityToken`
 * over the awsQuery protocol the SDK uses (form-encoded POST, XML answers), on
 * 127.0.0.1 port 0. The caller's identity is the role mapped to the access key id in
 * the SigV4 `Authorization` header; the role's identity policy is evaluated for the
 * two documented condition keys (`sts:IdentityTokenAudience`, `sts:DurationSeconds`),
 * and a denied call answers 403 `AccessDenied` like STS. Tokens are RS256 JWTs whose
 * `iss` is the account issuer URL, `sub` the role ARN and `aud` the requested audience.
 * Point functions at it with `AWS_ENDPOINT_URL_STS=fake.endpoint`.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetWebIdentityToken.html
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { PolicyStatement } from "../../lib/iam";
import { newSigningKey, signJwt, type SigningKey } from "./jwt";

export interface StsFake {
  endpoint: string;
  /** `https://<uuid>.tokens.sts.global.api.aws`: the `iss` of every token. */
  issuer: string;
  /** Verification key of the tokens (what the issuer's JWKS would publish). */
  signingKey: SigningKey;
  /** Whether the account has outbound identity federation enabled. @default true */
  federationEnabled: boolean;
  /** Lets `accessKeyId` call as `roleArn` with the given identity policy statements. */
  addRole(accessKeyId: string, roleArn: string, statements: PolicyStatement[]): void;
  /** Calls received, with the parsed input. */
  calls: Array<{ roleArn?: string; audience: string[]; durationSeconds?: number; signingAlgorithm?: string; outcome: string }>;
  /** Every token issued. */
  issued: string[];
  close(): Promise<void>;
}

export async function startStsFake(): Promise<StsFake> {
  const issuer = `https://${randomUUID()}.tokens.sts.global.api.aws`;
  const signingKey = newSigningKey("sts-fake");
  const roles = new Map<string, { roleArn: string; statements: PolicyStatement[] }>();
  const calls: StsFake["calls"] = [];
  const issued: string[] = [];
  const fake = { federationEnabled: true } as StsFake;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
      const role = accessKeyId ? roles.get(accessKeyId) : undefined;
      if (form.get("Action") !== "GetWebIdentityToken") return error(400, "InvalidAction", `Could not find operation ${form.get("Action")} for version ${form.get("Version")}`);
      const audience = [...form.keys()].filter((k) => /^Audience\.member\.\d+$/.test(k)).map((k) => form.get(k)!);
      const duration = form.has("DurationSeconds") ? Number(form.get("DurationSeconds")) : undefined;
      const algorithm = form.get("SigningAlgorithm") ?? undefined;
      const call = { roleArn: role?.roleArn, audience, durationSeconds: duration, signingAlgorithm: algorithm, outcome: "" };
      calls.push(call);
      if (!role) {
        call.outcome = "InvalidClientTokenId";
        return error(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
      }
      if (!fake.federationEnabled) {
        call.outcome = "OutboundWebIdentityFederationDisabledException";
        return error(403, "OutboundWebIdentityFederationDisabledException", "Outbound web identity federation is disabled for this account.");
      }
      if (audience.length === 0) {
        call.outcome = "ValidationError";
        return error(400, "ValidationError", "1 validation error detected: Value null at 'audience' failed to satisfy constraint: Member must not be null");
      }
      if (algorithm !== "RS256" && algorithm !== "ES384") {
        call.outcome = "ValidationError";
        return error(400, "ValidationError", "SigningAlgorithm must be RS256 or ES384");
      }
      if (duration !== undefined && (duration < 60 || duration > 3600)) {
        call.outcome = "ValidationError";
        return error(400, "ValidationError", "DurationSeconds must be between 60 and 3600");
      }
      const seconds = duration ?? 300;
      if (!allowed(role.statements, audience, duration)) {
        call.outcome = "AccessDenied";
        return error(403, "AccessDenied", `User: ${role.roleArn} is not authorized to perform: sts:GetWebIdentityToken because no identity-based policy allows the sts:GetWebIdentityToken action`);
      }
      const now = Math.floor(Date.now() / 1000);
      const token = signJwt(signingKey, { iss: issuer, sub: role.roleArn, aud: audience.length === 1 ? audience[0] : audience, iat: now, nbf: now, exp: now + seconds, jti: randomUUID() });
      issued.push(token);
      call.outcome = "issued";
      res.writeHead(200, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() }).end(
        `<GetWebIdentityTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetWebIdentityTokenResult><WebIdentityToken>${token}</WebIdentityToken><Expiration>${new Date((now + seconds) * 1000).toISOString()}</Expiration></GetWebIdentityTokenResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetWebIdentityTokenResponse>`,
      );
    });
    function error(status: number, code: string, message: string) {
      res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() }).end(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(fake, {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    issuer,
    signingKey,
    addRole: (accessKeyId: string, roleArn: string, statements: PolicyStatement[]) => void roles.set(accessKeyId, { roleArn, statements }),
    calls,
    issued,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/**
 * IAM evaluation of Allow statements for sts:GetWebIdentityToken, limited to the
 * condition operators used with its keys: ForAllValues:StringEquals, StringEquals,
 * NumericLessThanEquals and Null.
 */
function allowed(statements: PolicyStatement[], audience: string[], duration: number | undefined): boolean {
  const context: Record<string, string[] | undefined> = {
    "sts:IdentityTokenAudience": audience,
    "sts:DurationSeconds": duration === undefined ? undefined : [String(duration)],
  };
  return statements.some((st) => {
    if (st.Effect !== "Allow" || ![st.Action].flat().includes("sts:GetWebIdentityToken")) return false;
    return Object.entries(st.Condition ?? {}).every(([operator, keys]) =>
      Object.entries(keys).every(([key, expected]) => {
        const wanted = [expected].flat().map(String);
        const actual = context[key];
        switch (operator) {
          case "ForAllValues:StringEquals":
            return (actual ?? []).every((v) => wanted.includes(v));
          case "StringEquals":
            return actual?.some((v) => wanted.includes(v)) === true;
          case "NumericLessThanEquals":
            return actual?.every((v) => Number(v) <= Number(wanted[0])) === true;
          case "Null":
            return (actual === undefined) === (wanted[0] === "true");
          default:
            return false;
        }
      }),
    );
  });
}
