import { mkdtempSync, rmSync } from "node:fs";
import { connect as connectHttp2 } from "node:http2";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, isInvalid } from "../src/client/errors.ts";
import { writeCRDs } from "../src/crd/index.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import { Manager } from "../src/manager/index.ts";
import { registry } from "../src/metrics/registry.ts";
import { field, getWebhookServer, webhookConfigurations, webhookDefinitions, webhookManagedBy, type WebhookServer } from "../src/webhook/index.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { recordLogs } from "../../../test/support/logs.ts";
import { DEFAULTED, Gizmo, gizmo } from "./fixtures/webhook-gizmo.ts";

/** POSTs raw bytes to the webhook server, trusting the test CA, and returns status and body. */
function post(cluster: TestCluster, path: string, body: string, contentType = "application/json"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${cluster.webhooks.url}${path}`, { method: "POST", ca: cluster.webhooks.certificates.ca, headers: { "content-type": contentType } }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("admission webhooks called by a real API server", () => {
  let cluster: TestCluster;
  let mgr: Manager;
  let server: WebhookServer;
  const stop = new AbortController();
  let running: Promise<void>;
  const dir = mkdtempSync(join(tmpdir(), "operator-ts-webhook-"));
  const logs = recordLogs("info");
  let paths: { mutatePath?: string; validatePath?: string };

  beforeAll(async () => {
    const crds = await writeCRDs(dir, [Gizmo]);
    cluster = await startCluster({ name: "webhook", crds, webhooks: true });
    mgr = await Manager.create({ kubeconfig: cluster.kubeconfig, logger: logs.logger });
    server = getWebhookServer(mgr, cluster.webhooks.serverOptions());
    paths = webhookManagedBy(mgr)
      .for(Gizmo)
      .withDefaulter({
        default(g) {
          g.spec.size ??= 1;
          g.metadata.labels = { ...g.metadata.labels, [DEFAULTED]: "true" };
        },
      })
      .withValidator({
        validateCreate(g) {
          if (g.spec.owner === "explode") throw new Error("owner lookup failed: directory unavailable");
          if ((g.spec.size ?? 0) > 5) return { errors: [field.invalid("spec.size", g.spec.size, "must be at most 5")] };
          return g.spec.owner ? undefined : { warnings: ["spec.owner is empty"] };
        },
        validateUpdate(oldG, newG) {
          const errors = [];
          if (oldG.spec.owner !== newG.spec.owner) errors.push(field.forbidden("spec.owner", "is immutable"));
          if ((newG.spec.size ?? 0) > 5) errors.push(field.invalid("spec.size", newG.spec.size, "must be at most 5"));
          return { errors };
        },
        validateDelete(g) {
          return g.spec.locked ? { errors: [field.forbidden("spec.locked", "unlock the gizmo before deleting it")] } : undefined;
        },
      })
      .complete();
    const configs = webhookConfigurations(webhookDefinitions(server), { namePrefix: "gizmo", url: cluster.webhooks.url });
    await cluster.installWebhooks({ configurations: [configs.validating!, configs.mutating!] });
    running = mgr.start(stop.signal);
    await server.address();
    // The API server picks configurations up from a watch: wait until the webhook answers for it.
    await eventually(async () => {
      const err = await mgr.client.create(gizmo("probe", { size: 9 }), { dryRun: true }).then(() => undefined, (e: unknown) => e);
      return err instanceof ApiError && err.message.includes("denied the request");
    }, "the validating webhook to be called");
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves on controller-runtime's paths", () => {
    expect(paths).toEqual({ mutatePath: "/mutate-webhook-operator-ts-dev-v1-gizmo", validatePath: "/validate-webhook-operator-ts-dev-v1-gizmo" });
  });

  it("refuses an invalid object through the API server with the validator's field error", async () => {
    const err = await mgr.client.create(gizmo("big", { size: 7, owner: "a" })).catch((e: unknown) => e);
    expect(isInvalid(err)).toBe(true);
    expect((err as ApiError).message).toContain('denied the request: Gizmo.webhook.operator-ts.dev "big" is invalid: spec.size: Invalid value: 7: must be at most 5');
    expect((err as ApiError).status.details?.causes).toEqual([{ reason: "FieldValueInvalid", message: "Invalid value: 7: must be at most 5", field: "spec.size" }]);
  });

  it("applies the defaulter's changes on create, as a JSON patch the API server applies", async () => {
    const created = await mgr.client.create(gizmo("small", { owner: "a" }));
    expect(created.spec.size).toBe(1);
    expect(created.metadata.labels).toEqual({ [DEFAULTED]: "true" });
    const read = await mgr.apiReader.get(Gizmo, { namespace: "default", name: "small" });
    expect(read.spec.size).toBe(1);
  });

  it("validates updates against the old object and deletes against the object being deleted", async () => {
    const created = await mgr.client.create(gizmo("pinned", { owner: "a", size: 2, locked: true }));
    const err = await mgr.client.update({ ...created, spec: { ...created.spec, owner: "b", size: 8 } }).catch((e: unknown) => e);
    expect((err as ApiError).message).toContain('Gizmo.webhook.operator-ts.dev "pinned" is invalid: [spec.owner: Forbidden: is immutable, spec.size: Invalid value: 8: must be at most 5]');
    const updated = await mgr.client.update({ ...created, spec: { ...created.spec, size: 3 } });
    expect(updated.spec.size).toBe(3);
    const refused = await mgr.client.delete(updated).catch((e: unknown) => e);
    expect((refused as ApiError).message).toContain("spec.locked: Forbidden: unlock the gizmo before deleting it");
    const unlocked = await mgr.client.update({ ...updated, spec: { ...updated.spec, locked: false } });
    await mgr.client.delete(unlocked);
  });

  it("answers denied with the reason when a validator throws, and logs it", async () => {
    const err = await mgr.client.create(gizmo("boom", { owner: "explode" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toContain("denied the request: owner lookup failed: directory unavailable");
    expect(logs.lines.some((l) => l.includes("validator threw") && l.includes("directory unavailable"))).toBe(true);
  });

  it("answers a malformed AdmissionReview with a clear 400", async () => {
    const path = paths.validatePath!;
    expect(await post(cluster, path, "{not json")).toMatchObject({ status: 400, body: expect.stringContaining("malformed review: the body is not JSON") });
    expect(await post(cluster, path, JSON.stringify({ kind: "AdmissionReview", apiVersion: "admission.k8s.io/v1" }))).toEqual({
      status: 400,
      body: "malformed review: the review has no request\n",
    });
    expect(await post(cluster, path, "{}", "text/plain")).toMatchObject({ status: 400, body: expect.stringContaining('content-type is "text/plain"') });
    expect((await post(cluster, "/nowhere", "{}")).status).toBe(404);
  });

  it("answers over HTTP/2, as the API server calls it, as well as over HTTP/1.1", async () => {
    const session = connectHttp2(cluster.webhooks.url, { ca: cluster.webhooks.certificates.ca });
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": paths.validatePath!, "content-type": "application/json" });
        let status = 0;
        let body = "";
        stream.on("response", (headers) => (status = Number(headers[":status"])));
        stream.on("data", (c: Buffer) => (body += c.toString()));
        stream.on("end", () => resolve({ status, body }));
        stream.on("error", reject);
        stream.end(JSON.stringify({ kind: "AdmissionReview", apiVersion: "admission.k8s.io/v1" }));
      });
      expect({ status, body, protocol: session.alpnProtocol }).toEqual({ status: 400, body: "malformed review: the review has no request\n", protocol: "h2" });
    } finally {
      session.close();
    }
  });

  it("counts requests under controller-runtime's metric names", async () => {
    const text = await registry.metrics();
    expect(text).toMatch(new RegExp(`controller_runtime_webhook_requests_total\\{webhook="${paths.validatePath}",code="200"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`controller_runtime_webhook_requests_total\\{webhook="${paths.validatePath}",code="400"\\} [1-9]`));
    expect(text).toContain(`controller_runtime_webhook_latency_seconds_count{webhook="${paths.mutatePath}"}`);
    expect(text).toContain(`controller_runtime_webhook_requests_in_flight{webhook="${paths.mutatePath}"} 0`);
  });

  it("reports ready once it answers TLS", async () => {
    await expect(Promise.resolve(server.startedChecker()())).resolves.toBeUndefined();
  });
});
