import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ValidatingWebhookConfiguration } from "../src/api/kinds.ts";
import { RestClient } from "../src/client/rest-client.ts";
import { RestTransport } from "../src/client/transport.ts";
import { writeCRDs } from "../src/crd/index.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import { webhookConfigurations, webhookDefinitions, webhookManagedBy, WebhookServer } from "../src/webhook/index.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { Gizmo, gizmo } from "./fixtures/webhook-gizmo.ts";

const POLICY = "webhook.operator-ts.dev/policy";

describe("a webhook that cannot answer in time, on a real API server", () => {
  let cluster: TestCluster;
  let transport: RestTransport;
  let client: RestClient;
  const dir = mkdtempSync(join(tmpdir(), "operator-ts-webhook-timeout-"));
  const stop = new AbortController();
  let running: Promise<void>;
  // The validator holds every request until the test ends: long past the configurations' one-second timeout.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const calls = new Map<string, number>();

  const create = (name: string, policy: "Fail" | "Ignore") =>
    client.create({ ...gizmo(name, { size: 1 }), metadata: { name, namespace: "default", labels: { [POLICY]: policy } } }).then(
      (g) => ({ created: g.metadata.name }),
      (err: Error) => ({ refused: err.message }),
    );

  beforeAll(async () => {
    cluster = await startCluster({ name: "webhook-timeout", crds: await writeCRDs(dir, [Gizmo]), webhooks: true });
    transport = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    client = new RestClient(transport);
    const server = new WebhookServer(cluster.webhooks.serverOptions());
    webhookManagedBy(undefined, server)
      .for(Gizmo)
      .withValidator({
        async validateCreate(g) {
          const name = g.metadata.name!;
          calls.set(name, (calls.get(name) ?? 0) + 1);
          await held;
        },
      })
      .complete();
    running = server.start(stop.signal);
    await server.address();
    // The same webhook twice, told apart by the object's label: once failing closed, once failing open.
    const configs = (["Fail", "Ignore"] as const).map((failurePolicy) => {
      const { validating } = webhookConfigurations(webhookDefinitions(server), {
        namePrefix: `timeout-${failurePolicy.toLowerCase()}`,
        url: cluster.webhooks.url,
        failurePolicy,
        timeoutSeconds: 1,
      });
      const config = validating as ValidatingWebhookConfiguration;
      for (const w of config.webhooks ?? []) w.objectSelector = { matchLabels: { [POLICY]: failurePolicy } };
      return config;
    });
    await cluster.installWebhooks({ configurations: configs });
  });

  afterAll(async () => {
    release();
    stop.abort();
    await running;
    await transport?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses the request under failurePolicy Fail, saying the call timed out", async () => {
    // The API server picks the configuration up from a watch: until then the create goes through uncalled.
    let attempt = 0;
    const outcome = await eventually(async () => {
      const name = `fail-${attempt++}`;
      const r = await create(name, "Fail");
      return calls.has(name) ? r : undefined;
    }, "the Fail webhook to be called");
    expect(outcome).toEqual({ refused: expect.stringContaining('failed calling webhook "vgizmo-v1.webhook.operator-ts.dev"') });
    expect((outcome as { refused: string }).refused).toMatch(/context deadline exceeded|timeout|Timeout/);
  });

  it("lets the request through under failurePolicy Ignore, although the webhook was called and never answered", async () => {
    let attempt = 0;
    const outcome = await eventually(async () => {
      const name = `ignore-${attempt++}`;
      const r = await create(name, "Ignore");
      return calls.has(name) ? { name, ...r } : undefined;
    }, "the Ignore webhook to be called");
    expect(outcome).toEqual({ name: outcome.name, created: outcome.name });
    expect(calls.get(outcome.name)).toBe(1);
  });
});
