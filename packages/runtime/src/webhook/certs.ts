import { generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import type forge from "node-forge";

/**
 * X.509 for the webhook server. Node's crypto parses certificates (X509Certificate) but cannot issue them, so issuing
 * uses node-forge (pure JavaScript, no native parts, no global polyfills); keys are made by Node's own crypto, which is
 * fast, and read back into forge only to sign.
 */

type Forge = typeof forge;
let loadingForge: Promise<Forge> | undefined;

/**
 * node-forge is loaded the first time a certificate is issued: 0.6 MB of JavaScript whose loading costs ~4 MiB of RSS,
 * which most operators never run (no webhook, or cert-manager's files).
 */
function loadForge(): Promise<Forge> {
  loadingForge ??= import("node-forge").then((m) => ((m as { default?: Forge }).default ?? (m as unknown as Forge)));
  return loadingForge;
}

/** A serving certificate with its key, and the CA bundle that API servers should trust for it. */
export interface CertificatePair {
  /** PEM: the serving certificate (a chain, if there is one). */
  cert: string;
  /** PEM: its private key. Never logged. */
  key: string;
  /** PEM: the CA certificate(s) that signed it, for a caBundle; absent when the files came without one. */
  ca?: string;
}

/** A CA that can sign serving certificates. */
export interface CertificateAuthority {
  cert: string;
  key: string;
}

/**
 * Where the webhook server takes its certificate from: generated and kept in a Secret (CertRotator), files on disk
 * (CertWatcher), or fixed PEM (staticCertificates). start() resolves with the first pair (or rejects saying why there
 * is none) and then calls onUpdate with every new pair until the signal aborts.
 */
export interface CertificateSource {
  start(signal: AbortSignal, onUpdate: (pair: CertificatePair) => void): Promise<CertificatePair>;
}

export function staticCertificates(pair: CertificatePair): CertificateSource {
  return { start: async () => pair };
}

function newKey(forge: Forge): { pem: string; forgeKey: forge.pki.rsa.PrivateKey } {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { pem: privateKey, forgeKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey };
}

function serial(): string {
  // Positive and 16 bytes, as RFC 5280 asks of serial numbers.
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString("hex");
}

/**
 * How far back a certificate's notBefore is set, so that a clock a little behind still accepts it: a minute, or a tenth
 * of a short lifetime. Known from the certificate alone (see issuedAt), since notAfter - notBefore = lifetime + this.
 */
function backdateMs(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 10);
}

function validity(cert: forge.pki.Certificate, lifetimeMs: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - backdateMs(lifetimeMs));
  cert.validity.notAfter = new Date(now + lifetimeMs);
}

/** When a certificate made here was issued (its notBefore plus the backdating). */
export function issuedAt(cert: X509Certificate): number {
  const from = Date.parse(cert.validFrom);
  const total = Date.parse(cert.validTo) - from;
  return from + Math.min(60_000, total / 11);
}

/** A self-signed CA for webhook serving certificates. */
export async function generateCA(commonName: string, lifetimeMs: number): Promise<CertificateAuthority> {
  const forge = await loadForge();
  const key = newKey(forge);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.forgeKey.n, key.forgeKey.e);
  cert.serialNumber = serial();
  validity(cert, lifetimeMs);
  const subject = [{ name: "commonName", value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(key.forgeKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: key.pem };
}

/**
 * A serving certificate signed by ca, for these DNS names and IP addresses (a name that is an IP counts as one). The
 * first name is the common name, which API servers ignore but people read.
 */
export async function generateServingCertificate(
  ca: CertificateAuthority,
  hosts: readonly string[],
  lifetimeMs: number,
): Promise<{ cert: string; key: string }> {
  if (!hosts.length) throw new Error("a serving certificate needs at least one DNS name or IP address");
  const forge = await loadForge();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const key = newKey(forge);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.forgeKey.n, key.forgeKey.e);
  cert.serialNumber = serial();
  validity(cert, lifetimeMs);
  cert.setSubject([{ name: "commonName", value: hosts[0]! }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
    { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: key.pem };
}

/** The DNS names a Service answers to inside the cluster, as the API server dials them. */
export function serviceDNSNames(service: { namespace: string; name: string }, clusterDomain = "cluster.local"): string[] {
  const { name, namespace } = service;
  return [`${name}.${namespace}.svc`, `${name}.${namespace}.svc.${clusterDomain}`, `${name}.${namespace}`, name];
}

/** The certificates of a PEM bundle, in order. */
export function splitPEM(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((c) => `${c}\n`) ?? [];
}

export function parseCertificate(pem: string): X509Certificate {
  return new X509Certificate(pem);
}

/** Whether cert is within its last `share` of life (or past it) at `now`: time to renew. */
export function needsRenewal(cert: X509Certificate, share: number, now = Date.now()): boolean {
  const to = Date.parse(cert.validTo);
  return now >= to - (to - issuedAt(cert)) * share;
}
