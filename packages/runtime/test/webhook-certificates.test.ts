import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as pace } from "node:timers/promises";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MutatingWebhookConfiguration, Secret, ValidatingWebhookConfiguration } from "../src/api/kinds.ts";
import { RestClient } from "../src/client/rest-client.ts";
import { RestTransport } from "../src/client/transport.ts";
import { writeCRDs } from "../src/crd/index.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import { CertRotator, webhookConfigurations, webhookDefinitions, webhookManagedBy, WebhookServer } from "../src/webhook/index.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { DEFAULTED, Gizmo, gizmo, simpleGizmoWebhooks } from "./fixtures/webhook-gizmo.ts";

const SECRET = { namespace: "default", name: "webhook-server-cert" };
const TARGETS = { validating: ["gizmo-validating-webhook-configuration"], mutating: ["gizmo-mutating-webhook-configuration"] };

function servedCertificate(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    // Only the certificate is wanted here; trust is what the API server's calls test.
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(cert);
      else reject(new Error("no peer certificate"));
    });
    socket.on("error", reject);
  });
}

describe("certificates the webhook server manages itself, on a real API server", () => {
  let cluster: TestCluster;
  let transport: RestTransport;
  let client: RestClient;
  const dir = mkdtempSync(join(tmpdir(), "operator-ts-webhook-certs-"));
  const stop = new AbortController();
  const servers: WebhookServer[] = [];
  const rotators: CertRotator[] = [];
  let running: Promise<void>[] = [];
  let firstCerts: (string | undefined)[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ name: "webhook-certs", crds: await writeCRDs(dir, [Gizmo]) });
    transport = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    client = new RestClient(transport);
    // Two replicas, started together, racing to create the Secret. Short lifetimes make them rotate during the test.
    for (let i = 0; i < 2; i++) {
      const rotator = new CertRotator({
        client,
        secret: SECRET,
        hosts: ["127.0.0.1", "localhost"],
        targets: TARGETS,
        caLifetimeMs: 40_000,
        certLifetimeMs: 20_000,
        renewShare: 0.5,
        caPropagationMs: 2000,
        checkIntervalMs: 500,
      });
      const server = new WebhookServer({ host: "127.0.0.1", port: 0, certificates: rotator });
      simpleGizmoWebhooks(webhookManagedBy(undefined, server));
      rotators.push(rotator);
      servers.push(server);
    }
    running = servers.map((s) => s.start(stop.signal));
    await Promise.all(servers.map((s) => s.address()));
    firstCerts = servers.map((s) => s.certificate()?.cert);
    // The API server calls the first replica; the configurations start without a caBundle, which the rotators write.
    const { port } = await servers[0]!.address();
    const configs = webhookConfigurations(webhookDefinitions(servers[0]!), { namePrefix: "gizmo", url: `https://127.0.0.1:${port}` });
    await client.create(configs.validating!);
    await client.create(configs.mutating!);
  });

  afterAll(async () => {
    stop.abort();
    await Promise.all(running);
    await transport?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("generates a CA and a serving certificate into a Secret that two replicas share", async () => {
    expect(firstCerts[0]).toBeDefined();
    expect(firstCerts[1]).toBe(firstCerts[0]);
    const secret = await client.get(Secret, SECRET);
    expect(secret.type).toBe("kubernetes.io/tls");
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    const served = new X509Certificate(firstCerts[0]!);
    expect(served.subjectAltName).toBe("IP Address:127.0.0.1, DNS:localhost");
    expect(served.checkIssued(new X509Certificate(Buffer.from(secret.data!["ca.crt"]!, "base64")))).toBe(true);
  });

  it("writes the caBundle into the webhook configurations, so the API server's calls succeed", async () => {
    await eventually(async () => {
      const v = await client.get(ValidatingWebhookConfiguration, { name: TARGETS.validating[0]! });
      const m = await client.get(MutatingWebhookConfiguration, { name: TARGETS.mutating[0]! });
      const bundle = Buffer.from(rotators[0]!.caBundle()!).toString("base64");
      return v.webhooks?.[0]?.clientConfig.caBundle === bundle && m.webhooks?.[0]?.clientConfig.caBundle === bundle;
    }, "the caBundle in both configurations");
    const created = await eventually(() => client.create(gizmo("first", {})), "a create through the webhooks");
    expect(created.spec.size).toBe(1);
    expect(created.metadata.labels?.[DEFAULTED]).toBe("true");
  });

  it("rotates the serving certificate and the CA before they expire, with no failed admission meanwhile", async () => {
    const { port } = await servers[0]!.address();
    const firstCA = rotators[0]!.caBundle()!;
    const seen = new Set<string>([new X509Certificate(firstCerts[0]!).fingerprint256]);
    let created = 0;
    const failures: string[] = [];
    const deadline = Date.now() + 90_000;
    let caRotated = false;
    let servingFromNewCA = false;
    while (Date.now() < deadline && !(caRotated && servingFromNewCA && seen.size >= 3)) {
      try {
        const g = await client.create(gizmo(`during-rotation-${created}`, {}));
        if (g.metadata.labels?.[DEFAULTED] !== "true") failures.push(`${g.metadata.name} was not defaulted`);
      } catch (err) {
        failures.push((err as Error).message);
      }
      created++;
      const served = await servedCertificate(port);
      seen.add(served.fingerprint256);
      const bundle = rotators[0]!.caBundle()!;
      if (!bundle.startsWith(firstCA)) {
        caRotated = true;
        servingFromNewCA = served.checkIssued(new X509Certificate(bundle)) && served.verify(new X509Certificate(bundle).publicKey);
      }
      // A steady trickle of creates rather than a flood: the point is coverage of the rotation, not load.
      await pace(100);
    }
    expect(failures).toEqual([]);
    expect({ caRotated, servingFromNewCA, certificates: seen.size >= 3 }).toEqual({ caRotated: true, servingFromNewCA: true, certificates: true });
    expect(created).toBeGreaterThan(20);
    // Both replicas end up on the certificate in the Secret.
    await eventually(async () => {
      const secret = await client.get(Secret, SECRET);
      const cert = Buffer.from(secret.data!["tls.crt"]!, "base64").toString();
      return servers.every((s) => s.certificate()?.cert === cert);
    }, "both replicas serving the Secret's certificate");
  });
});
