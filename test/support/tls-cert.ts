/**
 * A throw-away self-signed certificate for 127.0.0.1, made with the machine's openssl,
 * for local stand-ins that must speak HTTPS (Azurite refuses bearer tokens over HTTP,
 * and so does the Azure SDK). Child processes trust it through NODE_EXTRA_CA_CERTS;
 * the test process through {@link trustInThisProcess}.
 *
 * @example
 * const tls = makeTlsCertificate();
 * spawn(node, args, { env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.certPath } });
 * tls.remove();
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";

export interface TlsCertificate {
  certPath: string;
  keyPath: string;
  /** PEM of the certificate (it is its own CA). */
  cert: string;
  key: string;
  remove(): void;
}

/** Generates a 2048-bit RSA key and a certificate for 127.0.0.1 and localhost, valid one day. */
export function makeTlsCertificate(): TlsCertificate {
  const dir = mkdtempSync(path.join(tmpdir(), "tls-"));
  const certPath = path.join(dir, "cert.pem");
  const keyPath = path.join(dir, "key.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "1", "-keyout", keyPath, "-out", certPath, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    { stdio: "ignore" },
  );
  return { certPath, keyPath, cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Adds the certificate to this process's default trusted CAs (Node >= 22.19). */
export function trustInThisProcess(certificate: TlsCertificate): void {
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), certificate.cert]);
}
