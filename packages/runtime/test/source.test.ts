import { describe, expect, it } from "vitest";
import { getLogger, setLogger } from "../src/log/index.ts";
import type { KubeObject } from "../src/api/object.ts";
import { enqueueRequestForObject, handlerFuncs } from "../src/handler/index.ts";
import { generationChanged, predicateFuncs } from "../src/predicate/index.ts";
import type { Request } from "../src/reconcile/index.ts";
import { ChannelSource, channel, funcSource, kind } from "../src/source/index.ts";
import { RateLimitingQueue } from "../src/workqueue/index.ts";
import { recordLogs } from "../../../test/support/logs.ts";
import { FakeInformerCache } from "./support/fake-informer.ts";
import { drain } from "./support/queue.ts";

// Generous: these tests share the machine with API servers; a condition that never holds still fails.
const poll = <T>(fn: () => T) => expect.poll(fn, { timeout: 15_000, interval: 5 });

const Widget = { apiVersion: "example.com/v1", kind: "Widget" };
const w = (name: string, extra: Partial<NonNullable<KubeObject["metadata"]>> = {}): KubeObject => ({
  ...Widget,
  metadata: { namespace: "ns", name, ...extra },
});

describe("kind source", () => {
  it("replays existing objects, then delivers events through the predicates to the handler", async () => {
    const cache = new FakeInformerCache();
    const inf = cache.informer(Widget);
    inf.add(w("existing", { generation: 1 }));
    const q = new RateLimitingQueue<Request>();
    const ac = new AbortController();
    const src = kind(cache, Widget, enqueueRequestForObject(), generationChanged());
    await src.start(ac.signal, q);
    expect(await src.waitForSync(ac.signal)).toBe(true);
    expect(await drain(q)).toEqual(["ns/existing"]);

    inf.update(w("existing", { generation: 1, resourceVersion: "2" }));
    expect(q.len()).toBe(0);
    inf.update(w("existing", { generation: 2 }));
    inf.add(w("new"));
    inf.delete(w("gone"), true);
    expect(await drain(q)).toEqual(["ns/existing", "ns/new", "ns/gone"]);
    expect(String(src)).toBe("kind source: example.com/v1, Kind=Widget");
  });

  it("aborting the start signal removes the handler from the informer", async () => {
    const cache = new FakeInformerCache();
    const inf = cache.informer(Widget);
    const q = new RateLimitingQueue<Request>();
    const ac = new AbortController();
    await kind(cache, Widget, enqueueRequestForObject()).start(ac.signal, q);
    expect(inf.handlerCount()).toBe(1);
    inf.add(w("before"));
    ac.abort();
    expect(inf.handlerCount()).toBe(0);
    inf.add(w("after"));
    expect(await drain(q)).toEqual(["ns/before"]);
  });

  it("waitForSync waits for the informer's sync, and reports false if aborted first", async () => {
    const cache = new FakeInformerCache({ synced: false });
    const q = new RateLimitingQueue<Request>();
    const src = kind(cache, Widget, enqueueRequestForObject());
    const ac = new AbortController();
    await src.start(ac.signal, q);
    let synced: boolean | undefined;
    const waiting = src.waitForSync(ac.signal).then((v) => (synced = v));
    cache.informer(Widget).add(w("initial"));
    await Promise.resolve();
    expect(synced).toBeUndefined();
    cache.informer(Widget).markSynced();
    await waiting;
    expect(synced).toBe(true);

    const other = kind(new FakeInformerCache({ synced: false }), Widget, enqueueRequestForObject());
    const ac2 = new AbortController();
    await other.start(ac2.signal, q);
    const p = other.waitForSync(ac2.signal);
    ac2.abort();
    expect(await p).toBe(false);
  });

  it("starts once, and a failing getInformer rejects start and waitForSync", async () => {
    const cache = new FakeInformerCache();
    const q = new RateLimitingQueue<Request>();
    const src = kind(cache, Widget, enqueueRequestForObject());
    const ac = new AbortController();
    await src.start(ac.signal, q);
    await expect(src.start(ac.signal, q)).rejects.toThrow(/already started/);

    const broken = kind({ getInformer: () => Promise.reject(new Error("no kind Widget")) }, Widget, enqueueRequestForObject());
    await expect(broken.start(ac.signal, q)).rejects.toThrow(/no kind Widget/);
    await expect(broken.waitForSync(ac.signal)).rejects.toThrow(/no kind Widget/);
  });

  it("a throwing handler or predicate drops only that event", async () => {
    const cache = new FakeInformerCache();
    const inf = cache.informer(Widget);
    const q = new RateLimitingQueue<Request>();
    const ac = new AbortController();
    const throwing = handlerFuncs<KubeObject, Request>({
      create: (e, queue) => {
        if (e.object.metadata?.name === "bad") throw new Error("handler bug");
        queue.add({ name: e.object.metadata!.name! });
      },
    });
    await kind(cache, Widget, throwing).start(ac.signal, q);
    await kind(
      cache,
      Widget,
      enqueueRequestForObject(),
      predicateFuncs(() => {
        throw new Error("predicate bug");
      }),
    ).start(ac.signal, q);
    const { logger, lines } = recordLogs("info");
    const previous = getLogger();
    setLogger(logger);
    try {
      expect(() => inf.add(w("bad"))).not.toThrow();
      inf.add(w("good"));
    } finally {
      setLogger(previous);
    }
    expect(await drain(q)).toEqual(["good"]);
    const logged = lines.join("");
    expect(logged).toMatch(/handler bug/);
    expect(logged).toMatch(/predicate bug/);
  });
});

describe("channel source", () => {
  it("delivers sent objects as generic events, buffering those sent before start", async () => {
    const ch = new ChannelSource<KubeObject>();
    ch.send(w("early"));
    const q = new RateLimitingQueue<Request>();
    const ac = new AbortController();
    const src = channel(ch, enqueueRequestForObject(), predicateFuncs((o) => o.metadata?.name !== "filtered"));
    await src.start(ac.signal, q);
    expect(await src.waitForSync(ac.signal)).toBe(true);
    ch.send(w("late"));
    ch.send(w("filtered"));
    expect(await drain(q)).toEqual(["ns/early", "ns/late"]);
    ac.abort();
    ch.send(w("after-abort"));
    expect(q.len()).toBe(0);
    ch.close();
    expect(() => ch.send(w("x"))).toThrow(/after close/);
  });

  it("broadcasts to every source reading the channel", async () => {
    const ch = new ChannelSource<KubeObject>();
    const q1 = new RateLimitingQueue<Request>();
    const q2 = new RateLimitingQueue<Request>();
    const ac = new AbortController();
    await channel(ch, enqueueRequestForObject()).start(ac.signal, q1);
    await channel(ch, enqueueRequestForObject()).start(ac.signal, q2);
    ch.send(w("x"));
    expect(await drain(q1)).toEqual(["ns/x"]);
    expect(await drain(q2)).toEqual(["ns/x"]);
  });

  it("reads an async iterable until it ends or the signal aborts", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    async function* events(): AsyncGenerator<KubeObject> {
      yield w("one");
      yield w("two");
      await gate;
      yield w("three");
    }
    const q = new RateLimitingQueue<Request>();
    const ac = new AbortController();
    await channel(events(), enqueueRequestForObject()).start(ac.signal, q);
    await poll(() => q.len()).toBe(2);
    ac.abort();
    release();
    // Let the generator yield "three": the source must have stopped reading.
    await new Promise((r) => setImmediate(r));
    expect(await drain(q)).toEqual(["ns/one", "ns/two"]);
  });
});

describe("funcSource", () => {
  it("runs the start function and is synced once started", async () => {
    const q = new RateLimitingQueue<Request>();
    const ac = new AbortController();
    const src = funcSource<Request>({ start: (_s, queue) => queue.add({ name: "from-func" }), name: "mine" });
    let synced: boolean | undefined;
    const waiting = src.waitForSync(ac.signal).then((v) => (synced = v));
    await Promise.resolve();
    expect(synced).toBeUndefined();
    await src.start(ac.signal, q);
    await waiting;
    expect(synced).toBe(true);
    expect(await drain(q)).toEqual(["from-func"]);
    expect(String(src)).toBe("mine");
  });
});
