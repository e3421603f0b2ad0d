import { asShared, type KubeObject } from "../api/object.ts";
import type { EventHandler } from "../handler/index.ts";
import { getLogger } from "../log/index.ts";
import { type Predicate, passesGeneric } from "../predicate/index.ts";
import type { Request } from "../reconcile/index.ts";
import type { RateLimitingWorkQueue } from "../workqueue/index.ts";
import type { Source } from "./source.ts";

/**
 * A broadcast channel of objects for generic events: send() delivers to every started channel() source reading it.
 * Objects sent while no source is reading are kept and delivered to the first one that starts.
 */
export class ChannelSource<T extends KubeObject = KubeObject> {
  private readonly subscribers = new Set<(obj: T) => void>();
  private buffer: T[] = [];
  private closed = false;

  send(obj: T): void {
    if (this.closed) throw new Error("ChannelSource: send after close");
    if (this.subscribers.size === 0) {
      this.buffer.push(obj);
      return;
    }
    for (const s of this.subscribers) s(obj);
  }

  /** Stops accepting objects; sources reading it stay attached but receive nothing more. */
  close(): void {
    this.closed = true;
  }

  /** Delivers every later send (and the backlog, if this is the first subscriber) to fn; returns the unsubscribe. */
  subscribe(fn: (obj: T) => void): () => void {
    this.subscribers.add(fn);
    const backlog = this.buffer;
    this.buffer = [];
    for (const obj of backlog) fn(obj);
    return () => {
      this.subscribers.delete(fn);
    };
  }
}

/**
 * Generic events from a ChannelSource or any async iterable of objects (an async generator, a stream in object mode):
 * each object passes the predicates' generic(), then handler.generic() enqueues requests. Aborting the start signal
 * stops reading.
 */
export function channel<T extends KubeObject, Req = Request>(
  input: ChannelSource<T> | AsyncIterable<T>,
  handler: EventHandler<T, Req>,
  ...predicates: Predicate<T>[]
): Source<Req> {
  let startCalled = false;
  const name = "channel source";
  const dispatch = (object: T, queue: RateLimitingWorkQueue<Req>): void => {
    try {
      const e = { object: asShared(object) };
      if (passesGeneric(predicates, e)) handler.generic(e, queue);
    } catch (err) {
      getLogger().error({ err, source: name }, "event handler or predicate threw; event dropped");
    }
  };
  return {
    async start(signal, queue) {
      if (startCalled) throw new Error(`${name}: already started; a source attaches to one controller once`);
      startCalled = true;
      if (signal.aborted) return;
      if (input instanceof ChannelSource) {
        const unsubscribe = input.subscribe((obj) => dispatch(obj, queue));
        signal.addEventListener("abort", unsubscribe, { once: true });
        return;
      }
      void pump(input, signal, (obj) => dispatch(obj, queue), name);
    },
    waitForSync: (signal) => Promise.resolve(!signal.aborted),
    toString: () => name,
  };
}

async function pump<T>(input: AsyncIterable<T>, signal: AbortSignal, deliver: (obj: T) => void, name: string): Promise<void> {
  const it = input[Symbol.asyncIterator]();
  const aborted = new Promise<"aborted">((resolve) => signal.addEventListener("abort", () => resolve("aborted"), { once: true }));
  try {
    for (;;) {
      const r = await Promise.race([it.next(), aborted]);
      if (r === "aborted" || signal.aborted) break;
      if (r.done) return;
      deliver(r.value);
    }
    // An async generator cannot be interrupted while it awaits; return() takes effect when it next yields.
    void Promise.resolve(it.return?.()).catch(() => {});
  } catch (err) {
    getLogger().error({ err, source: name }, "reading the channel source failed; it delivers no more events");
  }
}
