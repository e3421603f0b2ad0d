// The reconciler of the throughput, latency and multi-cluster programs: it patches an annotation onto every ConfigMap
// the load generator made, and notes how long after its send time each object's first reconcile started.
import { type Client, ConfigMap, isNotFound, Patch, type Request } from "@operator-ts/runtime";
import { nowMs, nowUs, RECONCILED_KEY, SENT_KEY } from "./common.ts";

/** The reconciler both the single- and the multi-cluster programs use, counting what it patched. */
export class Annotator {
  readonly expected: number;
  patched = 0;
  lastMs = 0;
  readonly latenciesUs: number[] = [];
  private readonly seen = new Set<string>();
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));
  /** Called with the running count after each patch. */
  onPatched: ((n: number) => void) | undefined;

  constructor(expected: number) {
    this.expected = expected;
  }

  /** key: the request's identity (cluster too, for the multi-cluster program). */
  async reconcile(key: string, client: Client, req: Request): Promise<void> {
    const startUs = nowUs();
    let cm: ConfigMap;
    try {
      cm = await client.get(ConfigMap, req);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const sent = cm.metadata?.annotations?.[SENT_KEY];
    if (sent === undefined) return;
    if (!this.seen.has(key)) {
      this.seen.add(key);
      const us = Number(sent);
      if (Number.isFinite(us)) this.latenciesUs.push(startUs - us);
    }
    if (cm.metadata?.annotations?.[RECONCILED_KEY] !== undefined) return;
    try {
      await client.patch(cm, Patch.merge({ metadata: { annotations: { [RECONCILED_KEY]: "ts" } } }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const n = ++this.patched;
    this.onPatched?.(n);
    if (n === this.expected) {
      this.lastMs = nowMs();
      this.resolveDone();
    }
  }
}
