import type { ConfigMap } from "../../src/api/kinds.ts";
import type { KubeObject, Shared } from "../../src/api/object.ts";
import type { ResourceEventHandler } from "../../src/cache/interfaces.ts";
import type { RestTransport } from "../../src/client/transport.ts";

export type RecordedEvent =
  | { type: "add"; key: string; obj: Shared<KubeObject>; initial: boolean }
  | { type: "update"; key: string; old: Shared<KubeObject>; obj: Shared<KubeObject> }
  | { type: "delete"; key: string; obj: Shared<KubeObject>; unknown: boolean };

const keyOf = (o: Shared<KubeObject>) => `${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;

/** A handler that writes down what it is given. */
export class Recorder implements ResourceEventHandler<KubeObject> {
  readonly events: RecordedEvent[] = [];

  onAdd(obj: Shared<KubeObject>, initial: boolean): void {
    this.events.push({ type: "add", key: keyOf(obj), obj, initial });
  }

  onUpdate(old: Shared<KubeObject>, obj: Shared<KubeObject>): void {
    this.events.push({ type: "update", key: keyOf(obj), old, obj });
  }

  onDelete(obj: Shared<KubeObject>, unknown: boolean): void {
    this.events.push({ type: "delete", key: keyOf(obj), obj, unknown });
  }

  of(key: string): RecordedEvent[] {
    return this.events.filter((e) => e.key === key);
  }

  find<K extends RecordedEvent["type"]>(type: K, key: string, pred: (e: Extract<RecordedEvent, { type: K }>) => boolean = () => true) {
    return this.events.find((e): e is Extract<RecordedEvent, { type: K }> => e.type === type && e.key === key && pred(e as never));
  }

  clear(): void {
    this.events.length = 0;
  }
}

const cmPath = (ns: string, name?: string) => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ""}`;

export function createConfigMap(t: RestTransport, ns: string, name: string, data: Record<string, string> = {}, labels?: Record<string, string>) {
  return t.request<ConfigMap>("POST", cmPath(ns), {
    body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, labels }, data },
  });
}

export function patchConfigMap(t: RestTransport, ns: string, name: string, patch: Record<string, unknown>) {
  return t.request<ConfigMap>("PATCH", cmPath(ns, name), { body: patch, contentType: "application/merge-patch+json" });
}

export function deleteConfigMap(t: RestTransport, ns: string, name: string) {
  return t.request("DELETE", cmPath(ns, name));
}

export async function createNamespace(t: RestTransport, name: string): Promise<void> {
  await t.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name } } });
}

/** Runs fn over items with at most `concurrency` in flight. */
export async function forEachLimit<I>(items: I[], concurrency: number, fn: (item: I) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
