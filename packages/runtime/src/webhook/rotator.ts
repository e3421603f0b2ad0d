import type { X509Certificate } from "node:crypto";
import { CustomResourceDefinition, MutatingWebhookConfiguration, Secret, ValidatingWebhookConfiguration } from "../api/kinds.ts";
import { Backoff, sleep } from "../cache/backoff.ts";
import { isAlreadyExists, isConflict, isNotFound } from "../client/errors.ts";
import type { Client } from "../client/interfaces.ts";
import { getLogger, type Logger } from "../log/index.ts";
import {
  type CertificatePair,
  type CertificateSource,
  generateCA,
  generateServingCertificate,
  issuedAt,
  needsRenewal,
  parseCertificate,
  splitPEM,
} from "./certs.ts";

const DAY = 86_400_000;

export interface CertRotatorOptions {
  /** An uncached client (`new RestClient(mgr.cluster.transport)`): a cached one would watch every Secret. */
  client: Client;
  /** The Secret that holds the CA and the serving certificate, shared by every replica. */
  secret: { namespace: string; name: string };
  /** The DNS names (serviceDNSNames(...)) and IP addresses the serving certificate is for. */
  hosts: string[];
  /** Where the caBundle goes: webhook configurations by name, and CRDs (by name) whose conversion is a webhook. */
  targets?: { validating?: string[]; mutating?: string[]; crds?: string[] };
  /** Lifetime of the CA; default 10 years. */
  caLifetimeMs?: number;
  /** Lifetime of the serving certificate; default 1 year. */
  certLifetimeMs?: number;
  /** Renew when this share of a certificate's life is left; default 1/3. */
  renewShare?: number;
  /** How long a new CA is in the caBundle before certificates it signed are served; default 30 s. */
  caPropagationMs?: number;
  /** How often the Secret is read and the caBundle checked; default a tenth of the renewal window, 1 s to 10 min. */
  checkIntervalMs?: number;
  log?: Logger;
}

interface Material {
  /** Newest CA first; an older one stays while certificates it signed may be served. */
  caBundle: string;
  caKey: string;
  cert: string;
  key: string;
}

/** A name or IP of the serving certificate, as X509Certificate prints them in subjectAltName. */
function sans(cert: X509Certificate): Set<string> {
  return new Set((cert.subjectAltName ?? "").split(", ").map((s) => s.replace(/^(DNS|IP Address):/, "")).filter(Boolean));
}

/**
 * Certificates without cert-manager: a CA and a serving certificate generated on first start, kept in a Secret that
 * every replica reads (the first to create it wins; the others adopt it), renewed before they expire, and the CA
 * written into the webhook configurations' and CRDs' caBundle. A new CA enters the bundle beside the old one, and the
 * serving certificate moves to it only after caPropagationMs, so API servers trust both throughout a rotation.
 */
export class CertRotator implements CertificateSource {
  private readonly options: CertRotatorOptions;
  private readonly log: Logger;
  private readonly caLifetimeMs: number;
  private readonly certLifetimeMs: number;
  private readonly share: number;
  private readonly propagationMs: number;
  private readonly intervalMs: number;
  private served: Material | undefined;
  private lastFailures = "";

  constructor(options: CertRotatorOptions) {
    if (!options.hosts.length) throw new Error("CertRotator needs the DNS names or IPs to certify");
    this.options = options;
    this.log = (options.log ?? getLogger()).child({ component: "cert-rotator", secret: `${options.secret.namespace}/${options.secret.name}` });
    this.caLifetimeMs = options.caLifetimeMs ?? 3650 * DAY;
    this.certLifetimeMs = options.certLifetimeMs ?? 365 * DAY;
    this.share = options.renewShare ?? 1 / 3;
    if (!(this.share > 0 && this.share < 1)) throw new Error("renewShare must be between 0 and 1");
    this.propagationMs = options.caPropagationMs ?? 30_000;
    this.intervalMs = options.checkIntervalMs ?? Math.min(600_000, Math.max(1000, (this.certLifetimeMs * this.share) / 10));
  }

  async start(signal: AbortSignal, onUpdate: (pair: CertificatePair) => void): Promise<CertificatePair> {
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });
    let first: Material | undefined;
    while (!first) {
      if (signal.aborted) throw new Error("webhook certificates: stopped before a certificate was ready");
      try {
        first = await this.sync();
      } catch (err) {
        const wait = backoff.next();
        this.log.warn({ err, retryInMs: wait }, "webhook certificates not ready");
        await sleep(wait, signal);
      }
    }
    this.served = first;
    void this.loop(signal, onUpdate);
    return pairOf(first);
  }

  /** The caBundle currently served (PEM), once started. */
  caBundle(): string | undefined {
    return this.served?.caBundle;
  }

  private async loop(signal: AbortSignal, onUpdate: (pair: CertificatePair) => void): Promise<void> {
    const backoff = new Backoff({ initialMs: 500, maxMs: this.intervalMs });
    let wait = this.intervalMs;
    while (!signal.aborted) {
      await sleep(wait, signal);
      if (signal.aborted) return;
      try {
        const material = await this.sync();
        if (material.cert !== this.served?.cert || material.key !== this.served.key || material.caBundle !== this.served.caBundle) {
          this.served = material;
          onUpdate(pairOf(material));
        }
        wait = this.intervalMs;
      } catch (err) {
        wait = backoff.next();
        this.log.warn({ err, retryInMs: wait }, "webhook certificate check failed");
      }
    }
  }

  /** One pass: agree on the Secret's content (renewing what needs it), then make sure the caBundle is everywhere. */
  private async sync(): Promise<Material> {
    const material = await this.agree();
    await this.inject(material.caBundle);
    return material;
  }

  private async agree(): Promise<Material> {
    const { client, secret } = this.options;
    for (let attempt = 0; ; attempt++) {
      let current: Secret | undefined;
      try {
        current = await client.get(Secret, secret);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (!current) {
        const material = await this.fresh();
        try {
          await client.create(this.secretOf(material));
          this.log.info("generated the webhook CA and serving certificate");
          return material;
        } catch (err) {
          // Another replica made it first: use theirs.
          if (isAlreadyExists(err) && attempt < 5) continue;
          throw err;
        }
      }
      const existing = decode(current);
      const next = await this.renewed(existing);
      if (next === existing) return existing;
      try {
        await client.update({ ...this.secretOf(next), metadata: { ...current.metadata, name: secret.name, namespace: secret.namespace } });
        return next;
      } catch (err) {
        // Another replica renewed at the same moment: read theirs and judge it instead.
        if (isConflict(err) && attempt < 5) continue;
        throw err;
      }
    }
  }

  private async fresh(): Promise<Material> {
    const ca = await generateCA(`${this.options.secret.name}-ca`, this.caLifetimeMs);
    const serving = await generateServingCertificate(ca, this.options.hosts, this.certLifetimeMs);
    return { caBundle: ca.cert, caKey: ca.key, cert: serving.cert, key: serving.key };
  }

  /** The material to keep: the same object when nothing needs renewing. */
  private async renewed(m: Material | undefined): Promise<Material> {
    if (!m) return this.fresh();
    const now = Date.now();
    let cas: X509Certificate[];
    let cert: X509Certificate;
    try {
      cas = splitPEM(m.caBundle).map(parseCertificate);
      cert = parseCertificate(m.cert);
    } catch {
      this.log.warn("the certificate Secret holds unreadable certificates; generating new ones");
      return this.fresh();
    }
    const newest = cas[0];
    if (!newest) return this.fresh();
    let next = m;
    let newestCA = newest;
    if (needsRenewal(newest, this.share, now)) {
      const ca = await generateCA(`${this.options.secret.name}-ca`, this.caLifetimeMs);
      newestCA = parseCertificate(ca.cert);
      // The old CA stays trusted while the certificate it signed is still served.
      next = { ...m, caBundle: `${ca.cert}${newest.toString()}`, caKey: ca.key };
      this.log.info({ notAfter: newest.validTo }, "renewing the webhook CA");
    } else if (cas.length > 1 && !cas.slice(1).some((ca) => issuedBy(cert, ca))) {
      next = { ...m, caBundle: newest.toString() };
    }
    const expired = now >= Date.parse(cert.validTo);
    const names = sans(cert);
    const wrongHosts = !this.options.hosts.every((h) => names.has(h));
    const stale = needsRenewal(cert, this.share, now) || wrongHosts || !cas.some((ca) => issuedBy(cert, ca));
    const fromOldCA = !issuedBy(cert, newestCA);
    const propagated = now >= issuedAt(newestCA) + this.propagationMs;
    if (expired || ((stale || fromOldCA) && propagated)) {
      const serving = await generateServingCertificate({ cert: splitPEM(next.caBundle)[0]!, key: next.caKey }, this.options.hosts, this.certLifetimeMs);
      next = { ...next, cert: serving.cert, key: serving.key };
      this.log.info({ notAfter: cert.validTo }, "renewing the webhook serving certificate");
    }
    return next;
  }

  private secretOf(m: Material): Secret {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    return {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { namespace: this.options.secret.namespace, name: this.options.secret.name },
      type: "kubernetes.io/tls",
      data: { "ca.crt": b64(m.caBundle), "ca.key": b64(m.caKey), "tls.crt": b64(m.cert), "tls.key": b64(m.key) },
    };
  }

  /** Writes the bundle wherever it differs; a target that does not exist yet is skipped (and tried again next pass). */
  private async inject(bundle: string): Promise<void> {
    const { client, targets = {} } = this.options;
    const caBundle = Buffer.from(bundle).toString("base64");
    const configs = [
      ...(targets.validating ?? []).map((name) => ({ type: ValidatingWebhookConfiguration, name })),
      ...(targets.mutating ?? []).map((name) => ({ type: MutatingWebhookConfiguration, name })),
    ];
    const failures: string[] = [];
    for (const { type, name } of configs) {
      await retryConflicts(async () => {
        const config = (await client.get(type as typeof ValidatingWebhookConfiguration, { name })) as ValidatingWebhookConfiguration;
        const webhooks = config.webhooks ?? [];
        if (webhooks.every((w) => w.clientConfig.caBundle === caBundle)) return;
        for (const w of webhooks) w.clientConfig.caBundle = caBundle;
        await client.update(config);
        this.log.info({ kind: type.kind, name }, "wrote the caBundle");
      }).catch((err: unknown) => failures.push(`${type.kind} ${name}: ${(err as Error).message}`));
    }
    for (const name of targets.crds ?? []) {
      await retryConflicts(async () => {
        const crd = await client.get(CustomResourceDefinition, { name });
        const webhook = crd.spec.conversion?.strategy === "Webhook" ? crd.spec.conversion.webhook : undefined;
        if (!webhook?.clientConfig) throw new Error("its conversion strategy is not Webhook");
        if (webhook.clientConfig.caBundle === caBundle) return;
        webhook.clientConfig.caBundle = caBundle;
        await client.update(crd);
        this.log.info({ kind: "CustomResourceDefinition", name }, "wrote the caBundle");
      }).catch((err: unknown) => failures.push(`CustomResourceDefinition ${name}: ${(err as Error).message}`));
    }
    // Said once per change: before the configurations are installed, every pass would say the same.
    const said = failures.join("\n");
    if (failures.length && said !== this.lastFailures) this.log.warn({ failures }, "could not write the caBundle everywhere; will retry");
    this.lastFailures = said;
  }
}

async function retryConflicts(fn: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isConflict(err) || attempt >= 3) throw err;
    }
  }
}

/** Names match and the signature verifies: every CA here has the same name, so the name alone says nothing. */
function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

function decode(secret: Secret): Material | undefined {
  const data = secret.data ?? {};
  const text = (k: string) => (data[k] ? Buffer.from(data[k], "base64").toString("utf8") : undefined);
  const caBundle = text("ca.crt");
  const caKey = text("ca.key");
  const cert = text("tls.crt");
  const key = text("tls.key");
  return caBundle && caKey && cert && key ? { caBundle, caKey, cert, key } : undefined;
}

function pairOf(m: Material): CertificatePair {
  return { cert: m.cert, key: m.key, ca: m.caBundle };
}
