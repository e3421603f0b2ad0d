import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import PQueue from "p-queue";
import type { KubeObject } from "../api/object.ts";
import { isNotFound } from "../client/errors.ts";
import { currentRequestScope, type RequestScope, withRequestScope } from "../client/scope.ts";
import type { RestTransport } from "../client/transport.ts";
import { getLogger, type Logger } from "../log/index.ts";

export type EventType = "Normal" | "Warning";

/** Records Events about objects; never blocks and never throws: Events are best effort, as in client-go. */
export interface EventRecorder {
  event(object: KubeObject, type: EventType, reason: string, message: string): void;
  annotatedEvent(object: KubeObject, annotations: Record<string, string>, type: EventType, reason: string, message: string): void;
}

interface Aggregate {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastSeen: number;
}

/** Repeats of the same event within this window update one Event's count instead of creating new ones. */
const AGGREGATION_WINDOW_MS = 10 * 60_000;
const MAX_MESSAGE = 1024;
const MAX_TRACKED = 4096;

/**
 * Sends Events to one cluster through a small bounded queue. An event identical to a recent one (same object, type,
 * reason, message and source) bumps that Event's count and lastTimestamp, like client-go's EventCorrelator.
 */
export class EventBroadcaster {
  private readonly transport: RestTransport;
  private readonly queue = new PQueue({ concurrency: 4 });
  private readonly recent = new Map<string, Aggregate>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly host: string;
  private readonly log: Logger;
  private closed = false;

  constructor(transport: RestTransport, options: { host?: string; log?: Logger } = {}) {
    this.transport = transport;
    this.host = options.host ?? hostname();
    this.log = options.log ?? getLogger().child({ component: "events" });
  }

  recorderFor(component: string): EventRecorder {
    return {
      event: (object, type, reason, message) => this.record(component, object, undefined, type, reason, message),
      annotatedEvent: (object, annotations, type, reason, message) =>
        this.record(component, object, annotations, type, reason, message),
    };
  }

  /** Waits until every event recorded so far has been written (or failed). */
  async flush(): Promise<void> {
    while (this.chains.size) await Promise.all([...this.chains.values()]);
    await this.queue.onIdle();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private record(
    component: string,
    object: KubeObject,
    annotations: Record<string, string> | undefined,
    type: EventType,
    reason: string,
    message: string,
  ): void {
    if (this.closed) return;
    const m = object.metadata ?? {};
    if (!m.name || !object.kind) {
      this.log.warn({ reason }, "cannot record an event for an object without kind or name");
      return;
    }
    const namespace = m.namespace || "default";
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    const key = [component, object.apiVersion, object.kind, namespace, m.name, m.uid, type, reason, text].join("\u0000");
    // The recording work's write fence goes with its Event (a deposed leader records none), its signal does not:
    // Events recorded just before a shutdown are still written while the broadcaster flushes.
    const fence = currentRequestScope()?.fence;
    const scope: RequestScope | undefined = fence ? { fence } : undefined;
    // Repeats of one event are written in order, so the second finds the first's Event to count on.
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.queue.add(() => withRequestScope(scope, () => this.write(key, component, object, namespace, annotations, type, reason, text))))
      .catch((err: unknown) => {
        this.log.warn({ err, reason }, "failed to record event");
      })
      .finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
  }

  private async write(
    key: string,
    component: string,
    object: KubeObject,
    namespace: string,
    annotations: Record<string, string> | undefined,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = new Date();
    const existing = this.recent.get(key);
    if (existing && now.getTime() - existing.lastSeen < AGGREGATION_WINDOW_MS) {
      existing.count++;
      existing.lastSeen = now.getTime();
      try {
        await this.transport.request("PATCH", `/api/v1/namespaces/${existing.namespace}/events/${existing.name}`, {
          body: { count: existing.count, lastTimestamp: now.toISOString() },
          contentType: "application/merge-patch+json",
        });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.recent.delete(key);
      }
    }
    const m = object.metadata ?? {};
    const name = `${m.name}.${now.getTime().toString(16)}${randomBytes(2).toString("hex")}`;
    await this.transport.request("POST", `/api/v1/namespaces/${namespace}/events`, {
      body: {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: m.name,
          namespace: m.namespace,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
        },
        reason,
        message,
        type,
        source: { component, host: this.host },
        firstTimestamp: now.toISOString(),
        lastTimestamp: now.toISOString(),
        count: 1,
        reportingComponent: component,
        reportingInstance: this.host,
      },
    });
    if (this.recent.size >= MAX_TRACKED) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(key, { name, namespace, count: 1, firstTimestamp: now.toISOString(), lastSeen: now.getTime() });
  }
}
