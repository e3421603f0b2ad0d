// Admission (TS only): a webhook server with a mutating and a validating webhook on ConfigMaps, as an operator runs
// them. "ready" once it listens; "result" once `count` objects named "hooked-*" were validated, with the time each
// review took in the server (handler and answer; TLS and HTTP parsing aside).
import type { ConfigMap } from "@operator-ts/runtime";
import { admissionWebhook, defaultingHandler, field, validatingHandler, type Webhook, WebhookServer } from "@operator-ts/runtime/webhook";
import { args, cpuSeconds, emit, nowUs, rssBytes, run, startProfile } from "./common.ts";

const DEFAULTED = "bench.operator-ts.io/defaulted";

async function main(): Promise<void> {
  const { params } = args();
  const count = params.count;
  // The harness names the paths, as it writes the configurations that call them.
  const MUTATE_PATH = params.mutatePath as string;
  const VALIDATE_PATH = params.validatePath as string;
  const server = new WebhookServer({ host: params.host as string, port: params.port as number, certDir: params.certDir as string });
  const latenciesUs: Record<string, number[]> = { [MUTATE_PATH]: [], [VALIDATE_PATH]: [] };
  let validated = 0;
  let reviews = 0;
  let lastMs = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const timed = (path: string, hook: Webhook): Webhook => ({
    async review(body, signal) {
      const t0 = performance.now();
      const reply = await hook.review(body, signal);
      reviews++;
      const name = (body as { request?: { name?: string; object?: { metadata?: { name?: string } } } }).request?.object?.metadata?.name ?? "";
      if (name.startsWith("hooked-")) {
        latenciesUs[path]!.push(Math.round((performance.now() - t0) * 1000));
        if (path === VALIDATE_PATH && ++validated === count) {
          lastMs = nowUs() / 1000;
          finish();
        }
      }
      return reply;
    },
  });
  server.register(
    MUTATE_PATH,
    timed(MUTATE_PATH, admissionWebhook(defaultingHandler<ConfigMap>({ default: (cm) => void (cm.metadata = { ...cm.metadata, labels: { ...cm.metadata?.labels, [DEFAULTED]: "true" } }) }))),
  );
  server.register(
    VALIDATE_PATH,
    timed(
      VALIDATE_PATH,
      admissionWebhook(
        validatingHandler<ConfigMap>({
          validateCreate: (cm) => (Object.keys(cm.data ?? {}).length > 16 ? { errors: [field.tooMany("data", Object.keys(cm.data ?? {}).length, 16)] } : undefined),
        }),
      ),
    ),
  );
  const stop = new AbortController();
  const running = server.start(stop.signal);
  await server.address();
  const stopProfile = await startProfile(params, "admission");
  const cpu0 = cpuSeconds();
  emit("ready", { rssBytes: rssBytes() });
  await done;
  const cpu = cpuSeconds() - cpu0;
  await stopProfile();
  emit("result", { validated, reviews, lastMs, mutateUs: latenciesUs[MUTATE_PATH], validateUs: latenciesUs[VALIDATE_PATH], cpuSeconds: cpu, rssBytes: rssBytes() });
  // Serving on until the harness stops this process (SIGTERM, see common.ts): the answers to the last reviews, the
  // one that completed the count among them, are still being written, and a server stopped here cut them off (the
  // API server saw EOF).
  await running;
}

run(main);
