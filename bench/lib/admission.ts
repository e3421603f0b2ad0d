// Admission latency (TS only): creates through a mutating and a validating webhook served by operator-ts, set against
// the same API server's creates that no webhook selects. Each repetition has its own API server; the webhook server is
// a process of its own, and the creates come from the harness (N with `concurrency` in flight, timed one by one).
import { type ConfigMap, type MutatingWebhookConfiguration, Namespace, RestClient, type ValidatingWebhookConfiguration } from "@operator-ts/runtime";
import { startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import { webhookConfigurations, type WebhookDefinition } from "@operator-ts/runtime/webhook";
import { type Context, type Metric, type ScenarioOutcome, startProgram } from "./context.ts";
import { percentile, summarize } from "./stats.ts";

const NAMESPACE = "bench-admission";
const MUTATE_PATH = "/mutate-core-v1-configmap";
const VALIDATE_PATH = "/validate-core-v1-configmap";
const SELECTED = "bench.operator-ts.io/admission";

const definition = (type: "mutating" | "validating", path: string): WebhookDefinition => ({
  type,
  path,
  group: "",
  version: "v1",
  kind: "ConfigMap",
  resource: "configmaps",
  namespaced: true,
  operations: ["CREATE"],
});

async function installWebhooks(cluster: TestCluster): Promise<void> {
  const { validating, mutating } = webhookConfigurations([definition("mutating", MUTATE_PATH), definition("validating", VALIDATE_PATH)], {
    namePrefix: "bench-admission",
    url: cluster.webhooks.url,
  });
  // Only the labelled objects are sent to the webhooks: the plain phase runs on the same API server, with them installed.
  for (const config of [validating, mutating] as (ValidatingWebhookConfiguration | MutatingWebhookConfiguration)[]) {
    for (const w of config.webhooks ?? []) w.objectSelector = { matchLabels: { [SELECTED]: "true" } };
  }
  await cluster.installWebhooks({ configurations: [validating!, mutating!] });
}

const configMap = (name: string, selected: boolean): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: NAMESPACE, ...(selected ? { labels: { [SELECTED]: "true" } } : {}) },
  data: { payload: "x".repeat(1024) },
});

/** N creates, `concurrency` at a time; each one's latency in µs, and the wall time of them all. */
async function creates(client: RestClient, prefix: string, count: number, concurrency: number, selected: boolean): Promise<{ latenciesUs: number[]; wallMs: number }> {
  const latenciesUs: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        const name = `${prefix}-${String(i).padStart(6, "0")}`;
        await client.create(configMap(name, selected)).catch((err: unknown) => {
          throw new Error(`creating ConfigMap ${name} (${i} of the ${prefix} phase): ${(err as Error).message}`);
        });
        latenciesUs.push((performance.now() - t) * 1000);
      }
    }),
  );
  return { latenciesUs, wallMs: performance.now() - t0 };
}

const ms = (us: number[], p: number) => percentile(us, p) / 1000;
const us = (samples: number[], p: number) => percentile(samples, p);

export async function admission(ctx: Context): Promise<ScenarioOutcome> {
  const t0 = Date.now();
  const s = "admission";
  const count = Math.max(200, Math.round(ctx.config.throughputCount / 2));
  const { concurrency } = ctx.config;
  const runs: Record<string, unknown>[] = [];
  for (let rep = 0; rep < ctx.config.reps; rep++) {
    const cluster = await startCluster({ name: `bench-admission-${rep + 1}`, webhooks: true });
    const client = await RestClient.fromKubeConfig(cluster.kubeconfig);
    const hook = startProgram(ctx, "ts", "admission", [cluster.kubeconfigPath], { count, mutatePath: MUTATE_PATH, validatePath: VALIDATE_PATH, ...cluster.webhooks.serverOptions() });
    try {
      await client.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
      await hook.waitFor("ready", ctx.timeoutMs);
      await installWebhooks(cluster);
      // Until the API server has the configurations (from a watch), a labelled create is not defaulted.
      for (let i = 0; ; i++) {
        const probe = await client.create(configMap(`probe-${i}`, true), { dryRun: true });
        if (probe.metadata?.labels?.["bench.operator-ts.io/defaulted"] === "true") break;
        if (i > 600) throw new Error("the webhooks were never called");
        await new Promise((r) => setTimeout(r, 50));
      }
      // Warm connections and caches on both paths, then the two phases in alternating order.
      await creates(client, "warm-plain", 100, concurrency, false);
      await creates(client, "warm-hooked", 100, concurrency, true);
      const phases = rep % 2 === 0 ? (["plain", "hooked"] as const) : (["hooked", "plain"] as const);
      const result: Record<string, { latenciesUs: number[]; wallMs: number }> = {};
      for (const phase of phases) result[phase] = await creates(client, phase, count, concurrency, phase === "hooked");
      const r = await hook.waitFor("result", ctx.timeoutMs);
      const plain = result.plain!;
      const hooked = result.hooked!;
      const handler = [...(r.mutateUs as number[]), ...(r.validateUs as number[])];
      const run = {
        impl: "ts",
        rep,
        plainP50Ms: ms(plain.latenciesUs, 50),
        plainP99Ms: ms(plain.latenciesUs, 99),
        hookedP50Ms: ms(hooked.latenciesUs, 50),
        hookedP99Ms: ms(hooked.latenciesUs, 99),
        addedP50Ms: ms(hooked.latenciesUs, 50) - ms(plain.latenciesUs, 50),
        handlerP50Us: us(handler, 50),
        handlerP99Us: us(handler, 99),
        plainPerSecond: (count / plain.wallMs) * 1000,
        hookedPerSecond: (count / hooked.wallMs) * 1000,
        webhookCpuPer1000: ((r.cpuSeconds as number) / (r.reviews as number)) * 1000,
        webhookRssBytes: r.rssBytes,
      };
      runs.push(run);
      ctx.say(
        `  admission rep ${rep + 1}/${ctx.config.reps}: create p50/p99 ${run.plainP50Ms.toFixed(1)}/${run.plainP99Ms.toFixed(1)} ms without webhooks, ` +
          `${run.hookedP50Ms.toFixed(1)}/${run.hookedP99Ms.toFixed(1)} ms through them; review in the webhook p50/p99 ${Math.round(run.handlerP50Us)}/${Math.round(run.handlerP99Us)} µs`,
      );
    } catch (err) {
      runs.push({ impl: "ts", rep, error: (err as Error).message });
      const stderr = hook.stderrLines().slice(-8);
      ctx.say(`  admission rep ${rep + 1}/${ctx.config.reps}: FAILED ${(err as Error).message}${stderr.length ? `\n    webhook server stderr:\n    ${stderr.join("\n    ")}` : ""}`);
    } finally {
      await hook.stop();
      await client.close();
      await cluster.stop();
    }
  }
  const m = (id: string, label: string, fieldName: string, unit: Metric["unit"] = "ms", kind: Metric["kind"] = "ts-only"): Metric => ({
    id: `admission.${id}`,
    scenario: s,
    label,
    unit,
    ts: summarize(runs.filter((r) => typeof r[fieldName] === "number").map((r) => r[fieldName] as number)),
    kind,
  });
  const n = count.toLocaleString("en");
  return {
    id: s,
    title: `Admission (TS only): ${n} ConfigMap creates (${concurrency} in flight) through a mutating and a validating webhook, against ${n} creates on the same API server that no webhook selects`,
    runs,
    seconds: (Date.now() - t0) / 1000,
    metrics: [
      m("plain.p50", "create, no webhook selected: the API server's own latency, p50", "plainP50Ms", "ms", "reference"),
      m("plain.p99", "create, no webhook selected: the API server's own latency, p99", "plainP99Ms", "ms", "reference"),
      m("hooked.p50", "create through both webhooks, p50", "hookedP50Ms"),
      m("hooked.p99", "create through both webhooks, p99", "hookedP99Ms"),
      m("added.p50", "added by the two webhook calls, p50 (through - without)", "addedP50Ms"),
      m("handler.p50", "one review in the webhook server (handler and answer), p50", "handlerP50Us", "µs"),
      m("handler.p99", "one review in the webhook server (handler and answer), p99", "handlerP99Us", "µs"),
      m("plain.rate", "creates per second, no webhook selected", "plainPerSecond", "objects/s", "reference"),
      m("hooked.rate", "creates per second through both webhooks", "hookedPerSecond", "objects/s"),
      m("cpu", "webhook server CPU per 1,000 reviews (TLS and HTTP included)", "webhookCpuPer1000", "cpu-s"),
    ],
  };
}
