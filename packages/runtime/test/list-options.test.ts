import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigMap } from "../src/api/kinds.ts";
import type { ListOptions, Reader } from "../src/client/interfaces.ts";
import { RESTMapper } from "../src/client/restmapper.ts";
import { InformerCache, MissingIndexError } from "../src/cache/index.ts";
import { isBadRequest, RestClient } from "../src/client/index.ts";
import { RestTransport } from "../src/client/transport.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import { FakeClientBuilder } from "../src/fake/index.ts";
import { SelectorParseError } from "../src/labels/index.ts";

// One table of list options, asked of the fake client, the cache and a real API server: the fake client and the cache
// must answer every row alike, so a reconciler that passes its unit test lists the same in production. The API server
// differs where the table says so: it has no field indexes, so it refuses a selector on an indexed field (an unindexed
// one fails in the fake client and the cache before any request). A selector that cannot be parsed is "invalid" for
// all three: the cache throws SelectorParseError (it never asks the server), the fake client and the server answer 400.

const owner = (cm: ConfigMap) => (cm.data?.owner ? [cm.data.owner] : []);
const cm = (namespace: string, name: string, data: Record<string, string>, labels?: Record<string, string>): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  data,
});
const objects = [
  cm("lo-a", "a", { owner: "x" }, { app: "web", tier: "front" }),
  cm("lo-a", "b", { owner: "y" }, { app: "web", tier: "back" }),
  cm("lo-a", "c", {}, { app: "db", weight: "9007199254740993" }),
  cm("lo-b", "d", { owner: "x" }, { app: "web" }),
  cm("lo-b", "e", {}),
];
const fixtureKeys = new Set(objects.map((o) => `${o.metadata!.namespace}/${o.metadata!.name}`));

type Answer = string[] | "invalid" | "missing index" | { count: number };
interface Row {
  options: ListOptions;
  want: Answer;
  /** The API server's answer where it differs from the fake client's and the cache's. */
  server?: Answer;
}

const rows: [string, Row][] = [
  ["nothing", { options: {}, want: ["lo-a/a", "lo-a/b", "lo-a/c", "lo-b/d", "lo-b/e"] }],
  ["a namespace", { options: { namespace: "lo-b" }, want: ["lo-b/d", "lo-b/e"] }],
  ["a label record", { options: { labelSelector: { app: "web" } }, want: ["lo-a/a", "lo-a/b", "lo-b/d"] }],
  ["== and !=", { options: { labelSelector: "app==web,tier!=back" }, want: ["lo-a/a", "lo-b/d"] }],
  ["in and notin", { options: { labelSelector: "app in (db, web), tier notin (front)" }, want: ["lo-a/b", "lo-a/c", "lo-b/d"] }],
  ["exists", { options: { labelSelector: "tier" }, want: ["lo-a/a", "lo-a/b"] }],
  ["does not exist", { options: { labelSelector: "!app" }, want: ["lo-b/e"] }],
  ["a large integer bound", { options: { labelSelector: "weight>9007199254740992" }, want: ["lo-a/c"] }],
  ["labels in a namespace", { options: { namespace: "lo-a", labelSelector: "app=web" }, want: ["lo-a/a", "lo-a/b"] }],
  ["bad label syntax", { options: { labelSelector: "app in web" }, want: "invalid" }],
  ["a label value past 63 characters", { options: { labelSelector: `app=${"v".repeat(64)}` }, want: "invalid" }],
  ["a record value holding a comma", { options: { labelSelector: { app: "web,tier=front" } }, want: "invalid" }],
  ["metadata.name", { options: { fieldSelector: "metadata.name=c" }, want: ["lo-a/c"] }],
  ["metadata.namespace as a record", { options: { fieldSelector: { "metadata.namespace": "lo-b" } }, want: ["lo-b/d", "lo-b/e"] }],
  ["metadata.namespace !=", { options: { fieldSelector: "metadata.namespace!=lo-b" }, want: ["lo-a/a", "lo-a/b", "lo-a/c"] }],
  ["name and namespace", { options: { fieldSelector: "metadata.name=a,metadata.namespace=lo-a" }, want: ["lo-a/a"] }],
  ["a trailing comma in a field selector", { options: { fieldSelector: "metadata.name=a," }, want: ["lo-a/a"] }],
  ["labels and fields", { options: { labelSelector: "app=web", fieldSelector: "metadata.namespace=lo-b" }, want: ["lo-b/d"] }],
  ["an invalid escape", { options: { fieldSelector: "metadata.name=\\a" }, want: "invalid" }],
  ["an indexed field", { options: { matchingFields: { "data.owner": "x" } }, want: ["lo-a/a", "lo-b/d"], server: "invalid" }],
  ["an indexed field in a namespace", { options: { namespace: "lo-a", matchingFields: { "data.owner": "x" } }, want: ["lo-a/a"], server: "invalid" }],
  ["an indexed field selector", { options: { fieldSelector: "data.owner=y" }, want: ["lo-a/b"], server: "invalid" }],
  ["an unindexed field", { options: { matchingFields: { "data.other": "x" } }, want: "missing index", server: "invalid" }],
  ["an unindexed field selector", { options: { fieldSelector: "data.other!=x" }, want: "missing index", server: "invalid" }],
  ["a limit", { options: { namespace: "lo-a", limit: 2 }, want: { count: 2 } }],
];

async function answer(reader: Reader, options: ListOptions): Promise<Answer> {
  try {
    const list = await reader.list(ConfigMap, options);
    // The API server holds more than the fixture (a namespace's own ConfigMaps); only the fixture's objects count.
    const keys = list.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`).filter((k) => fixtureKeys.has(k));
    return options.limit ? { count: list.items.length } : keys.sort();
  } catch (err) {
    if (err instanceof SelectorParseError || isBadRequest(err)) return "invalid";
    if (err instanceof MissingIndexError) return "missing index";
    throw err;
  }
}

describe("list options: one table for the fake client, the cache and the API server", () => {
  let cluster: TestCluster;
  let transport: RestTransport;
  let server: RestClient;
  let cache: InformerCache;
  const stop = new AbortController();
  let running: Promise<void> | undefined;
  const fake = new FakeClientBuilder().withIndex(ConfigMap, "data.owner", owner).withObjects(...objects).build();

  beforeAll(async () => {
    cluster = await startCluster({ name: "list-options" });
    transport = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    const mapper = new RESTMapper(transport);
    server = new RestClient(transport, { mapper });
    for (const ns of ["lo-a", "lo-b"]) await server.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    for (const o of objects) await server.create(o);
    cache = new InformerCache(transport, mapper, { namespaces: ["lo-a", "lo-b"] });
    await cache.indexField(ConfigMap, "data.owner", owner);
    await cache.getSharedInformer(ConfigMap);
    running = cache.start(stop.signal);
    expect(await cache.waitForCacheSync(AbortSignal.timeout(60_000))).toBe(true);
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await transport?.close();
    await cluster?.stop();
  });

  it.each(rows)("%s", async (_name, row) => {
    expect(await answer(fake, row.options), "fake client").toEqual(row.want);
    expect(await answer(cache, row.options), "cache").toEqual(row.want);
    expect(await answer(server, row.options), "API server").toEqual(row.server ?? row.want);
  });
});
