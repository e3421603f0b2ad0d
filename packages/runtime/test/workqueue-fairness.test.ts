import { describe, expect, it } from "vitest";
import { Queue } from "../src/workqueue/index.ts";

interface Item {
  shard: string;
  n: number;
}

describe("fair work queue", () => {
  it("serves shards round-robin, so a burst in one shard does not starve the others", async () => {
    const q = new Queue<Item>({ keyOf: (i) => `${i.shard}/${i.n}`, fairnessKeyOf: (i) => i.shard });
    for (let n = 0; n < 1000; n++) q.add({ shard: "burst", n });
    q.add({ shard: "quiet-1", n: 0 });
    q.add({ shard: "quiet-2", n: 0 });
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      const item = (await q.get())!;
      order.push(`${item.shard}/${item.n}`);
      q.done(item);
    }
    expect(order).toEqual(["burst/0", "quiet-1/0", "quiet-2/0", "burst/1", "burst/2", "burst/3"]);
    expect(q.len()).toBe(1000 - 4);
  });

  it("keeps first-in first-out order within a shard and the usual dedup", async () => {
    const q = new Queue<Item>({ keyOf: (i) => `${i.shard}/${i.n}`, fairnessKeyOf: (i) => i.shard });
    q.add({ shard: "a", n: 1 });
    q.add({ shard: "b", n: 1 });
    q.add({ shard: "a", n: 2 });
    q.add({ shard: "a", n: 1 });
    const got: string[] = [];
    while (q.len()) {
      const item = (await q.get())!;
      got.push(`${item.shard}/${item.n}`);
      q.done(item);
    }
    expect(got).toEqual(["a/1", "b/1", "a/2"]);
  });

  it("without a fairness key stays one FIFO", async () => {
    const q = new Queue<Item>({ keyOf: (i) => `${i.shard}/${i.n}` });
    for (let n = 0; n < 3; n++) q.add({ shard: "burst", n });
    q.add({ shard: "quiet", n: 0 });
    const got: string[] = [];
    while (q.len()) {
      const item = (await q.get())!;
      got.push(`${item.shard}/${item.n}`);
      q.done(item);
    }
    expect(got).toEqual(["burst/0", "burst/1", "burst/2", "quiet/0"]);
  });
});
