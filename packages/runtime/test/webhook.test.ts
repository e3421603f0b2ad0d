import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyJsonPatch, createJsonPatch } from "../src/client/json-patch.ts";
import {
  type AdmissionRequest,
  type CertificateAuthority,
  CertWatcher,
  defaultingHandler,
  field,
  fieldPath,
  generateCA,
  generateServingCertificate,
  invalidStatus,
  validatingHandler,
  WebhookServer,
} from "../src/webhook/index.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { recordLogs } from "../../../test/support/logs.ts";

const DAY = 86_400_000;

function servedCertificate(port: number, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(cert);
      else reject(new Error("no peer certificate"));
    });
    socket.on("error", reject);
  });
}

const request = (operation: AdmissionRequest["operation"], object?: object, oldObject?: object): AdmissionRequest => ({
  uid: "u1",
  kind: { group: "example.com", version: "v1", kind: "Thing" },
  resource: { group: "example.com", version: "v1", resource: "things" },
  operation,
  userInfo: {},
  name: "t",
  namespace: "default",
  ...(object ? { object } : {}),
  ...(oldObject ? { oldObject } : {}),
});

describe("JSON patch from a difference", () => {
  it("turns the original into the modified document, escaping keys, replacing changed arrays", () => {
    const original = { metadata: { name: "a", labels: { "a/b": "1", "x~y": "2" } }, spec: { list: [1, 2], gone: true, keep: { n: 1 } } };
    const modified = { metadata: { name: "a", labels: { "a/b": "1", "x~y": "3", new: "4" } }, spec: { list: [1, 2, 3], keep: { n: 1 }, added: { deep: [null] } } };
    const ops = createJsonPatch(original, modified);
    expect(ops).toEqual([
      { op: "replace", path: "/metadata/labels/x~0y", value: "3" },
      { op: "add", path: "/metadata/labels/new", value: "4" },
      { op: "remove", path: "/spec/gone" },
      { op: "replace", path: "/spec/list", value: [1, 2, 3] },
      { op: "add", path: "/spec/added", value: { deep: [null] } },
    ]);
    expect(applyJsonPatch(original, ops)).toEqual(modified);
    expect(createJsonPatch(original, structuredClone(original))).toEqual([]);
  });
});

describe("field errors", () => {
  it("read as the API server's own", () => {
    const path = fieldPath("spec", "datacenters").index(1).child("name");
    expect(String(field.invalid("spec.size", 7, "must be at most 5"))).toBe("spec.size: Invalid value: 7: must be at most 5");
    expect(String(field.invalid(path, "dc2", "cannot be renamed"))).toBe('spec.datacenters[1].name: Invalid value: "dc2": cannot be renamed');
    expect(String(field.required("spec.storageConfig"))).toBe("spec.storageConfig: Required value");
    expect(String(field.notSupported("spec.mode", "x", ["a", "b"]))).toBe('spec.mode: Unsupported value: "x": supported values: "a", "b"');
    expect(invalidStatus({ group: "", kind: "ConfigMap" }, "c", [field.forbidden("data", "is immutable")]).message).toBe(
      'ConfigMap "c" is invalid: data: Forbidden: is immutable',
    );
  });
});

describe("defaulting and validating handlers", () => {
  it("answer a patch for create and update, and allow delete untouched", async () => {
    const handler = defaultingHandler<{ metadata?: object; spec: { size?: number } }>({ default: (o) => void (o.spec.size ??= 1) });
    const created = await handler.handle(request("CREATE", { spec: {} }), new AbortController().signal);
    expect(created.allowed).toBe(true);
    expect(JSON.parse(Buffer.from(created.patch!, "base64").toString())).toEqual([{ op: "add", path: "/spec/size", value: 1 }]);
    const untouched = await handler.handle(request("UPDATE", { spec: { size: 3 } }, { spec: {} }), new AbortController().signal);
    expect(untouched).toEqual({ allowed: true });
    expect(await handler.handle(request("DELETE", undefined, { spec: {} }), new AbortController().signal)).toEqual({ allowed: true });
  });

  it("pass warnings along, refuse with field errors, and turn a throw into a logged denial", async () => {
    const { logger, lines } = recordLogs();
    const handler = validatingHandler<{ metadata?: object; spec: { size: number } }>(
      {
        validateCreate: (o) => (o.spec.size > 5 ? { errors: [field.invalid("spec.size", o.spec.size, "must be at most 5")], warnings: ["big"] } : { warnings: ["ok"] }),
        validateDelete: () => {
          throw new Error("lookup failed");
        },
      },
      { log: logger },
    );
    const signal = new AbortController().signal;
    expect(await handler.handle(request("CREATE", { spec: { size: 1 } }), signal)).toEqual({ allowed: true, warnings: ["ok"] });
    const refused = await handler.handle(request("CREATE", { spec: { size: 9 } }), signal);
    expect(refused).toMatchObject({ allowed: false, warnings: ["big"], status: { code: 422, reason: "Invalid", message: 'Thing.example.com "t" is invalid: spec.size: Invalid value: 9: must be at most 5' } });
    // No validateUpdate: allowed.
    expect(await handler.handle(request("UPDATE", { spec: { size: 9 } }, { spec: { size: 1 } }), signal)).toEqual({ allowed: true });
    expect(await handler.handle(request("DELETE", undefined, { spec: { size: 1 } }), signal)).toEqual({
      allowed: false,
      status: { code: 403, reason: "Forbidden", message: "lookup failed" },
    });
    expect(lines.some((l) => l.includes("validator threw") && l.includes("lookup failed"))).toBe(true);
  });
});

describe("certificates from files", () => {
  const dir = mkdtempSync(join(tmpdir(), "operator-ts-certwatch-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let ca: CertificateAuthority;
  beforeAll(async () => {
    ca = await generateCA("test-ca", DAY);
  });
  const write = (pair: { cert: string; key: string }) => {
    writeFileSync(join(dir, "tls.key"), pair.key);
    writeFileSync(join(dir, "tls.crt"), pair.cert);
  };

  it("serves them and picks up new ones without a restart", async () => {
    const first = await generateServingCertificate(ca, ["127.0.0.1", "localhost"], DAY);
    write(first);
    const server = new WebhookServer({ host: "127.0.0.1", port: 0, certificates: new CertWatcher(join(dir, "tls.crt"), join(dir, "tls.key"), { intervalMs: 50 }) });
    const stop = new AbortController();
    const running = server.start(stop.signal);
    try {
      const { port } = await server.address();
      expect((await servedCertificate(port, ca.cert)).fingerprint256).toBe(new X509Certificate(first.cert).fingerprint256);
      const second = await generateServingCertificate(ca, ["127.0.0.1", "localhost"], DAY);
      write(second);
      const want = new X509Certificate(second.cert).fingerprint256;
      await eventually(async () => (await servedCertificate(port, ca.cert)).fingerprint256 === want, "the new certificate to be served");
    } finally {
      stop.abort();
      await running;
    }
  });

  it("refuses to start, saying why, when the files are missing or do not match", async () => {
    const missing = new WebhookServer({ port: 0, certDir: join(dir, "nowhere") });
    await expect(missing.start(new AbortController().signal)).rejects.toThrow(`cannot read the serving certificate ${join(dir, "nowhere", "tls.crt")}`);
    await expect(missing.address()).rejects.toThrow(`cannot read the serving key ${join(dir, "nowhere", "tls.key")}`);
    const a = await generateServingCertificate(ca, ["localhost"], DAY);
    const b = await generateServingCertificate(ca, ["localhost"], DAY);
    write({ cert: a.cert, key: b.key });
    const mismatched = new WebhookServer({ port: 0, certDir: dir });
    await expect(mismatched.start(new AbortController().signal)).rejects.toThrow("the key does not belong to the certificate");
    writeFileSync(join(dir, "tls.crt"), "not a certificate");
    await expect(new WebhookServer({ port: 0, certDir: dir }).start(new AbortController().signal)).rejects.toThrow("not valid PEM");
  });
});
