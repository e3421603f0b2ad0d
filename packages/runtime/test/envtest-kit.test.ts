import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import type { Condition } from "../src/api/conditions.ts";
import { resourceType } from "../src/api/object.ts";
import { FakeClientBuilder } from "../src/fake/index.ts";
import {
  ensureAssets,
  eventually,
  expectCondition,
  gone,
  hasCondition,
  startClusters,
  type TestCluster,
  waitFor,
  waitForCondition,
} from "../src/envtest/index.ts";

interface Widget {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number };
  status?: { conditions?: Condition[] };
}
const Widget = resourceType<Widget>("example.com/v1", "Widget");

const ready = (status: Condition["status"], observedGeneration: number, reason = "Done"): Condition => ({
  type: "Ready",
  status,
  reason,
  message: `reason ${reason}`,
  observedGeneration,
  lastTransitionTime: "2026-01-01T00:00:00Z",
});

describe("eventually and waitFor", () => {
  it("eventually returns the first value that is not undefined or false, treating throws as not yet", async () => {
    let calls = 0;
    const value = await eventually(() => {
      calls++;
      if (calls < 3) throw new Error("not yet");
      return calls === 3 ? false : { calls };
    });
    expect(value).toEqual({ calls: 4 });
  });

  it("eventually's timeout names what it waited for and the last error", async () => {
    await expect(
      eventually(
        () => {
          throw new Error("NotFound: configmaps x");
        },
        { what: "the copy", timeoutMs: 50, intervalMs: 10 },
      ),
    ).rejects.toThrow(/timed out after 50 ms waiting for the copy: NotFound: configmaps x/);
  });

  it("waitFor resolves once the assertion stops throwing, with its value (undefined included)", async () => {
    let n = 0;
    await expect(
      waitFor(() => {
        n++;
        expect(n).toBeGreaterThan(2);
      }, "n > 2"),
    ).resolves.toBeUndefined();
    expect(n).toBe(3);
  });

  it("stops when its signal aborts", async () => {
    const stop = new AbortController();
    const waiting = eventually(() => false, { signal: stop.signal });
    stop.abort(new Error("test over"));
    await expect(waiting).rejects.toThrow("test over");
  });

  it("gone is true on NotFound, false when the object exists", async () => {
    const client = new FakeClientBuilder().withObjects({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "ns", name: "here" } }).build();
    const ConfigMap = resourceType("v1", "ConfigMap");
    expect(await gone(client.get(ConfigMap, { namespace: "ns", name: "here" }))).toBe(false);
    expect(await gone(client.get(ConfigMap, { namespace: "ns", name: "absent" }))).toBe(true);
  });
});

describe("condition matchers", () => {
  const widget = (condition: Condition, generation = 2): Widget => ({
    ...Widget,
    metadata: { namespace: "ns", name: "w", generation },
    status: { conditions: [condition] },
  });

  it("hasCondition checks status (True by default), reason, message and that the latest generation was seen", () => {
    expect(hasCondition(widget(ready("True", 2)), "Ready")).toBe(true);
    expect(hasCondition(widget(ready("False", 2)), "Ready")).toBe(false);
    expect(hasCondition(widget(ready("False", 2)), "Ready", { status: "False", reason: "Done", message: /reason D/ })).toBe(true);
    expect(hasCondition(widget(ready("True", 1)), "Ready")).toBe(false);
    expect(hasCondition(widget(ready("True", 1)), "Ready", { current: false })).toBe(true);
    expect(hasCondition(widget(ready("True", 2)), "Available")).toBe(false);
    expect(hasCondition(undefined, "Ready")).toBe(false);
  });

  it("expectCondition says what differs and lists the conditions the object has", () => {
    expect(() => expectCondition(widget(ready("False", 2, "Waiting")), "Ready")).toThrow(
      "Widget ns/w: Ready is False, not True; conditions: Ready=False (Waiting: reason Waiting)",
    );
  });

  it("waitForCondition reads until the condition shows what is expected", async () => {
    const client = new FakeClientBuilder().withKind(Widget, { namespaced: true }).withObjects(widget(ready("False", 2, "Waiting"))).build();
    const key = { namespace: "ns", name: "w" };
    const waiting = waitForCondition(client, Widget, key, "Ready", { reason: "Done" });
    const current = await client.get(Widget, key);
    await client.update({ ...current, status: { conditions: [ready("True", 2)] } });
    const done = await waiting;
    expect(done.status?.conditions?.[0]?.status).toBe("True");
  });
});

describe("startClusters' type", () => {
  it("is a tuple for a literal count, so destructured clusters need no casts", () => {
    expectTypeOf<Awaited<ReturnType<typeof startClusters<2>>>>().toEqualTypeOf<[TestCluster, TestCluster]>();
    expectTypeOf<Awaited<ReturnType<typeof startClusters<number>>>>().toEqualTypeOf<TestCluster[]>();
  });
});

describe("binaries without Go", () => {
  const saved = { PATH: process.env.PATH, KUBEBUILDER_ASSETS: process.env.KUBEBUILDER_ASSETS };
  let dir: string | undefined;
  afterEach(async () => {
    process.env.PATH = saved.PATH;
    if (saved.KUBEBUILDER_ASSETS === undefined) delete process.env.KUBEBUILDER_ASSETS;
    else process.env.KUBEBUILDER_ASSETS = saved.KUBEBUILDER_ASSETS;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("fails before any build with what to do: install Go, or set KUBEBUILDER_ASSETS", async () => {
    dir = await mkdtemp(join(tmpdir(), "envtest-nogo-"));
    delete process.env.KUBEBUILDER_ASSETS;
    process.env.PATH = join(dir, "bin");
    const lines: string[] = [];
    const failure = ensureAssets({ cacheDir: join(dir, "cache"), log: (l) => lines.push(l) });
    await expect(failure).rejects.toThrow(/Go is not on PATH\. Either install Go >= 1\.26 .* or set KUBEBUILDER_ASSETS to a folder/);
    expect(lines).toEqual([]);
  });

  it("names the Go it found when that one is too old", async () => {
    dir = await mkdtemp(join(tmpdir(), "envtest-oldgo-"));
    delete process.env.KUBEBUILDER_ASSETS;
    const bin = join(dir, "bin");
    await rm(bin, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(bin));
    await writeFile(join(bin, "go"), "#!/bin/sh\necho 'go version go1.22.4 linux/amd64'\n");
    await chmod(join(bin, "go"), 0o755);
    process.env.PATH = `${bin}:/usr/bin:/bin`;
    await expect(ensureAssets({ cacheDir: join(dir, "cache"), log: () => {} })).rejects.toThrow(
      /needs Go >= 1\.26, but this machine has go version go1\.22\.4 linux\/amd64\. Either install Go/,
    );
  });
});
