/**
 * A tiny AWS Secrets Manager fake speaking the JSON 1.1 protocol the SDK uses
 * (POST /, `X-Amz-Target: secretsmanager.<Operation>`), on 127.0.0.1 port 0.
 * Supports GetSecretValue, PutSecretValue and CreateSecret; unknown secrets answer
 * 400 `ResourceNotFoundException` like the real service. Point functions at it
 * with `AWS_ENDPOINT_URL_SECRETS_MANAGER=fake.endpoint`.
 *
 * @example
 * const secrets = await startSecretsFake();
 * const arn = secrets.put("genesys", { clientId: "id", clientSecret: "secret" });
 * env.GENESYS_SECRET_ARN = arn; env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

interface StoredSecret {
  arn: string;
  name: string;
  versionId: string;
  value: string;
  createdDate: number;
}

/** A running Secrets Manager fake. */
export interface SecretsFake {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Creates or replaces a secret (object values are JSON-encoded); returns its ARN. */
  put(name: string, value: string | Record<string, unknown>): string;
  /** Operations received, e.g. [{ operation: "GetSecretValue", secretId: "arn:..." }]. */
  calls: Array<{ operation: string; secretId?: string }>;
  close(): Promise<void>;
}

/** Starts the fake. Close it in afterAll. */
export async function startSecretsFake(region = "us-east-1"): Promise<SecretsFake> {
  const secrets = new Map<string, StoredSecret>();
  const calls: SecretsFake["calls"] = [];
  const find = (id: unknown) => [...secrets.values()].find((s) => s.arn === id || s.name === id);
  const put = (name: string, value: string | Record<string, unknown>): string => {
    const existing = secrets.get(name);
    const arn = existing?.arn ?? `arn:aws:secretsmanager:${region}:123456789012:secret:${name}-${randomUUID().slice(0, 6)}`;
    secrets.set(name, { arn, name, versionId: randomUUID(), value: typeof value === "string" ? value : JSON.stringify(value), createdDate: Date.now() / 1000 });
    return arn;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const operation = String(req.headers["x-amz-target"] ?? "").replace(/^secretsmanager\./, "");
      let input: Record<string, unknown> = {};
      try {
        input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        return reply(400, { __type: "SerializationException", message: "body is not JSON" });
      }
      calls.push({ operation, secretId: (input.SecretId ?? input.Name) as string | undefined });
      const secret = find(input.SecretId);
      switch (operation) {
        case "GetSecretValue":
          if (!secret) return notFound();
          return reply(200, {
            ARN: secret.arn,
            Name: secret.name,
            VersionId: secret.versionId,
            SecretString: secret.value,
            VersionStages: ["AWSCURRENT"],
            CreatedDate: secret.createdDate,
          });
        case "PutSecretValue": {
          if (!secret) return notFound();
          put(secret.name, String(input.SecretString ?? ""));
          const updated = secrets.get(secret.name)!;
          return reply(200, { ARN: updated.arn, Name: updated.name, VersionId: updated.versionId, VersionStages: ["AWSCURRENT"] });
        }
        case "CreateSecret": {
          const name = String(input.Name ?? "");
          if (secrets.has(name)) return reply(400, { __type: "ResourceExistsException", message: `the secret ${name} already exists.` });
          const arn = put(name, String(input.SecretString ?? ""));
          return reply(200, { ARN: arn, Name: name, VersionId: secrets.get(name)!.versionId });
        }
        default:
          return reply(400, { __type: "UnknownOperationException", message: `unsupported operation ${operation}` });
      }
    });
    function notFound() {
      reply(400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." });
    }
    function reply(status: number, body: Record<string, unknown>) {
      const headers: Record<string, string> = { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() };
      if (status >= 400) headers["x-amzn-errortype"] = String(body.__type);
      res.writeHead(status, headers).end(JSON.stringify(body));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    put,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
