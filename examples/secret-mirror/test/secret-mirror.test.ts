import { type Client, Namespace, Secret } from "@operator-ts/runtime";
import { MultiClusterManager } from "@operator-ts/multicluster";
import { eventually, gone, startClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIRROR_LABEL, MIRRORED_FROM, setupSecretMirror } from "../src/mirror.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("examples/secret-mirror on two real clusters", () => {
  let referenceCluster: TestCluster;
  let mirrorCluster: TestCluster;
  let mcm: MultiClusterManager;
  let reference: Client;
  let mirror: Client;
  const stop = new AbortController();
  let running: Promise<void>;

  const copyOf = (name: string, namespace = "apps") => mirror.get(Secret, { namespace, name });
  const copyGone = (name: string, namespace = "apps") => gone(mcm.manager.apiReader.get(Secret, { namespace, name }));

  beforeAll(async () => {
    [referenceCluster, mirrorCluster] = await startClusters(2, { names: ["reference", "mirror"] });
    mcm = await MultiClusterManager.create({ kubeconfig: mirrorCluster.kubeconfig });
    await mcm.addCluster("reference", referenceCluster.kubeconfig);
    await setupSecretMirror(mcm, { reference: "reference", mirror: "" });
    running = mcm.start(stop.signal);
    reference = mcm.getCluster("reference").client;
    mirror = mcm.manager.apiReader as Client;
    await reference.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } });
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await Promise.all([referenceCluster?.stop(), mirrorCluster?.stop()]);
  });

  it("copies labelled Secrets, follows updates, restores copies deleted or edited by hand, and deletes with the original", async () => {
    const original = await reference.create<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db-credentials", namespace: "apps", labels: { [MIRROR_LABEL]: "true" } },
      data: { password: b64("s3cret") },
    });
    await reference.create<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "private", namespace: "apps" },
      data: { password: b64("not for the mirror") },
    });

    const copy = await eventually(() => copyOf("db-credentials"), "mirror copy");
    expect(copy.data?.password).toBe(b64("s3cret"));
    expect(copy.metadata?.labels?.[MIRRORED_FROM]).toBe("reference");

    await reference.update({ ...original, data: { password: b64("rotated") } });
    await eventually(async () => (await copyOf("db-credentials")).data?.password === b64("rotated"), "copy updated");

    await mcm.manager.client.delete(await copyOf("db-credentials"));
    const restored = await eventually(async () => {
      const c = await copyOf("db-credentials");
      return c.metadata?.uid !== copy.metadata?.uid ? c : undefined;
    }, "copy restored after deletion by hand");
    expect(restored.data?.password).toBe(b64("rotated"));

    await mcm.manager.client.update({ ...restored, data: { password: b64("tampered") } });
    await eventually(async () => (await copyOf("db-credentials")).data?.password === b64("rotated"), "copy restored after an edit by hand");

    expect(await copyGone("private")).toBe(true);

    await reference.delete(await reference.get(Secret, { namespace: "apps", name: "db-credentials" }));
    await eventually(() => copyGone("db-credentials"), "copy deleted with its original");
  });
});
