import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { extname, join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { isAlreadyExists } from "../client/errors.ts";
import { RestTransport } from "../client/transport.ts";
import { generateCA, generateServingCertificate, type CertificatePair } from "../webhook/certs.ts";
import type { WebhookServerOptions } from "../webhook/server.ts";
import { claimPort, type PortClaim } from "./ports.ts";

interface ClientConfig {
  url?: string;
  service?: { namespace?: string; name?: string; path?: string; port?: number };
  caBundle?: string;
}

/** A Validating- or MutatingWebhookConfiguration, as far as installing it goes. */
export interface WebhookConfigurationObject {
  apiVersion?: string;
  /** ValidatingWebhookConfiguration or MutatingWebhookConfiguration. */
  kind?: string;
  metadata?: { name?: string; resourceVersion?: string };
  webhooks?: { clientConfig: ClientConfig }[];
}

/**
 * controller-runtime's envtest WebhookInstallOptions: webhook configurations to install, pointed at a server the test
 * process runs on loopback, with a serving certificate made for it and its CA in every caBundle.
 */
export interface WebhookInstallOptions {
  /** Configurations as objects (webhookConfigurations(...) makes them); clientConfig is rewritten to the local server. */
  configurations?: WebhookConfigurationObject[];
  /** YAML files or folders of configurations (config/webhook/manifests.yaml). */
  paths?: string[];
  /** Default 127.0.0.1. */
  localServingHost?: string;
  /** Default a free port. */
  localServingPort?: number;
}

const PATHS: Record<string, string> = {
  ValidatingWebhookConfiguration: "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
  MutatingWebhookConfiguration: "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
};

/** Where the test's webhook server must listen and with which certificate; what a cluster's `webhooks` holds. */
export class LocalWebhookServing {
  readonly host: string;
  readonly port: number;
  /** Holds tls.crt and tls.key: pass certDir (or serverOptions()) to the webhook server. */
  readonly certDir: string;
  readonly certificates: CertificatePair;
  private readonly claim: PortClaim | undefined;

  constructor(host: string, port: number, certDir: string, certificates: CertificatePair, claim: PortClaim | undefined) {
    this.host = host;
    this.port = port;
    this.certDir = certDir;
    this.certificates = certificates;
    this.claim = claim;
  }

  /** https://host:port, where the API server calls. */
  get url(): string {
    return `https://${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** The options that make a WebhookServer serve here: `getWebhookServer(mgr, cluster.webhooks.serverOptions())`. */
  serverOptions(): WebhookServerOptions {
    return { host: this.host, port: this.port, certDir: this.certDir };
  }

  /** Points a clientConfig at the local server (the service's path kept) and trusts the local CA. */
  clientConfig(current: ClientConfig, defaultPath = ""): ClientConfig {
    const path = current.service?.path ?? (current.url ? new URL(current.url).pathname : defaultPath);
    return { url: `${this.url}${path === "/" ? "" : path}`, caBundle: Buffer.from(this.certificates.ca!).toString("base64") };
  }

  release(): void {
    this.claim?.release();
  }
}

export async function prepareLocalServing(dir: string, options: WebhookInstallOptions): Promise<LocalWebhookServing> {
  const host = options.localServingHost ?? "127.0.0.1";
  const claim = options.localServingPort ? undefined : await claimPort(host);
  const port = options.localServingPort ?? claim!.port;
  const ca = await generateCA("envtest-webhook-ca", 86_400_000);
  const serving = await generateServingCertificate(ca, [host, "localhost"], 86_400_000);
  const certDir = join(dir, "webhook-certs");
  await mkdir(certDir, { recursive: true });
  await writeFile(join(certDir, "tls.crt"), serving.cert);
  await writeFile(join(certDir, "tls.key"), serving.key, { mode: 0o600 });
  await writeFile(join(certDir, "ca.crt"), ca.cert);
  return new LocalWebhookServing(host, port, certDir, { ...serving, ca: ca.cert }, claim);
}

async function readConfigurations(paths: string[]): Promise<WebhookConfigurationObject[]> {
  const found: WebhookConfigurationObject[] = [];
  const walk = async (path: string): Promise<void> => {
    if ((await stat(path)).isDirectory()) {
      for (const entry of (await readdir(path)).sort()) await walk(join(path, entry));
      return;
    }
    if (![".yaml", ".yml", ".json"].includes(extname(path))) return;
    for (const doc of parseAllDocuments(await readFile(path, "utf8"))) {
      const obj = doc.toJS() as WebhookConfigurationObject | null;
      if (obj?.kind && obj.kind in PATHS) found.push(obj);
    }
  };
  for (const p of paths) await walk(p);
  return found;
}

/** Creates (or replaces) the configurations with every clientConfig pointing at the local server. */
export async function installWebhookConfigurations(
  kubeconfig: KubeConfig,
  serving: LocalWebhookServing,
  options: Pick<WebhookInstallOptions, "configurations" | "paths">,
): Promise<string[]> {
  const configs = [...(options.configurations ?? []), ...(options.paths?.length ? await readConfigurations(options.paths) : [])];
  const transport = await RestTransport.fromKubeConfig(kubeconfig);
  try {
    for (const config of configs) {
      const name = config.metadata?.name;
      const collection = PATHS[config.kind ?? ""];
      if (!collection) throw new Error(`cannot install a ${config.kind} as a webhook configuration`);
      if (!name) throw new Error(`a ${config.kind} to install has no name`);
      const body = {
        ...config,
        apiVersion: "admissionregistration.k8s.io/v1",
        metadata: { name },
        webhooks: (config.webhooks ?? []).map((w) => ({ ...w, clientConfig: serving.clientConfig(w.clientConfig) })),
      };
      try {
        await transport.request("POST", collection, { body });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const current = await transport.request<WebhookConfigurationObject>("GET", `${collection}/${name}`);
        await transport.request("PUT", `${collection}/${name}`, {
          body: { ...body, metadata: { name, resourceVersion: current.metadata?.resourceVersion } },
        });
      }
    }
  } finally {
    await transport.close();
  }
  return configs.map((c) => `${c.kind}/${c.metadata?.name}`);
}

/** A CRD whose conversion is a webhook gets it pointed at the local server (controller-runtime does the same). */
export function localConversion<T extends { spec: { conversion?: unknown } }>(crd: T, serving: LocalWebhookServing): T {
  const conversion = crd.spec.conversion as { strategy?: string; webhook?: { clientConfig?: ClientConfig; conversionReviewVersions?: string[] } } | undefined;
  if (conversion?.strategy !== "Webhook") return crd;
  return {
    ...crd,
    spec: {
      ...crd.spec,
      conversion: {
        strategy: "Webhook",
        webhook: {
          conversionReviewVersions: conversion.webhook?.conversionReviewVersions ?? ["v1"],
          clientConfig: serving.clientConfig(conversion.webhook?.clientConfig ?? {}, "/convert"),
        },
      },
    },
  };
}
