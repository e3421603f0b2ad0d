import { randomInt } from "node:crypto";
import type { KubeObject, ObjectList } from "../api/object.ts";
import { ApiError, isGone } from "../client/errors.ts";
import type { Query, RestTransport, WatchEvent } from "../client/transport.ts";
import { getLogger, type Logger } from "../log/index.ts";
import { Backoff, sleep } from "./backoff.ts";
import type { ReflectorTuning } from "./interfaces.ts";
import { METADATA_ACCEPT, METADATA_LIST_ACCEPT, toPartialObjectMetadata } from "../client/metadata.ts";
import { informerLists, informerWatchRestarts, metricKind } from "./metrics.ts";
import { failed, initialReflectorState, listArrived, nextStep, type ReflectorFailure, type ReflectorState, startRun } from "./reflector-state.ts";

/** Where a reflector delivers what it lists and watches. Calls never overlap and must not throw. */
export interface ReflectorSink<T> {
  /** The complete current state of the reflector's scope; `first` for its first list (the initial sync). */
  replace(objects: T[], resourceVersion: string, first: boolean): void;
  /** ADDED or MODIFIED. */
  upsert(obj: T): void;
  /** DELETED, with the object's last state. */
  remove(obj: T): void;
  /** Any progress, bookmarks included. */
  resourceVersion?(rv: string): void;
}

export interface ReflectorOptions<T extends KubeObject> {
  transport: RestTransport;
  /** The collection path, e.g. /api/v1/namespaces/ns/configmaps, or /api/v1/configmaps for all namespaces. */
  path: string;
  apiVersion: string;
  kind: string;
  /** For logs only: the path already says it. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  transform?: (obj: T) => T;
  /** List and watch PartialObjectMetadata: objects arrive and are stored as apiVersion, kind and metadata only. */
  metadataOnly?: boolean;
  tuning?: ReflectorTuning;
  sink: ReflectorSink<T>;
  logger?: Logger;
}

export interface ReflectorStats {
  /** Complete lists (each may span several pages). */
  lists: number;
  listPages: number;
  /** Lists restarted in one request because a continue token expired. */
  unpaginatedFallbacks: number;
  watches: number;
  events: number;
  bookmarks: number;
  /** Relists because the watch's resourceVersion was too old (410 Gone). */
  relistsAfterGone: number;
  /** Watches dropped by the inactivity watchdog. */
  stalledWatches: number;
  /** Failures that were retried after a backoff. */
  errors: number;
  /** True while a watch request is open. */
  watching: boolean;
}

export function emptyStats(): ReflectorStats {
  return {
    lists: 0,
    listPages: 0,
    unpaginatedFallbacks: 0,
    watches: 0,
    events: 0,
    bookmarks: 0,
    relistsAfterGone: 0,
    stalledWatches: 0,
    errors: 0,
    watching: false,
  };
}

const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_WATCH_TIMEOUT = { min: 300, max: 600 };
const WATCHDOG_MARGIN_MS = 30_000;
const INITIAL_EVENTS_SILENCE_MS = 30_000;
/** A watch that closes this fast without a single event is a failure in disguise, not a timeout. */
const SHORT_WATCH_MS = 1000;

type WatchOutcome = "timeout" | "stalled" | "short";

/**
 * Keeps a sink in step with one collection: a paginated list, then watches resumed from the last resourceVersion seen
 * (bookmarks included), a relist whenever that version is gone, and backoff on failures. Runs until its signal aborts
 * and never fails.
 */
export class Reflector<T extends KubeObject> {
  private readonly options: ReflectorOptions<T>;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly kindLabel: string;
  private rv: string | undefined;
  private state: ReflectorState;
  /** Aborted by retryNow() to end the backoff wait in progress. */
  private wake = new AbortController();
  readonly stats: ReflectorStats = emptyStats();

  constructor(options: ReflectorOptions<T>) {
    this.options = options;
    this.backoff = new Backoff(options.tuning?.backoff);
    this.state = initialReflectorState(options.tuning?.streamingLists === true);
    this.kindLabel = metricKind(options);
    this.log = (options.logger ?? getLogger()).child({
      component: "reflector",
      kind: this.kindLabel,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    });
  }

  /** The resourceVersion of the last list, event or bookmark; undefined before the first list. */
  get resourceVersion(): string | undefined {
    return this.rv;
  }

  get hasListed(): boolean {
    return this.state.listed;
  }

  /**
   * Ends the backoff wait in progress and starts the delays over: for a caller that knows the API server answers again
   * (a health probe passed), so a reflector whose delay grew during an outage does not sit out the rest of it.
   */
  retryNow(): void {
    this.backoff.reset();
    this.wake.abort();
    this.wake = new AbortController();
  }

  /** A backoff wait that retryNow() cuts short. */
  private pause(ms: number, signal: AbortSignal): Promise<void> {
    return sleep(ms, AbortSignal.any([signal, this.wake.signal]));
  }

  async run(signal: AbortSignal): Promise<void> {
    this.state = startRun(this.state);
    while (!signal.aborted) {
      try {
        let outcome: WatchOutcome;
        const step = nextStep(this.state);
        if (step === "stream") {
          outcome = await this.watch(signal, true);
        } else {
          if (step === "list") await this.list(signal);
          outcome = await this.watch(signal, false);
        }
        if (outcome === "short") {
          informerWatchRestarts.inc({ kind: this.kindLabel, reason: "short" });
          await this.pause(this.backoff.next(), signal);
        } else if (outcome === "stalled") {
          this.stats.stalledWatches++;
          informerWatchRestarts.inc({ kind: this.kindLabel, reason: "stalled" });
          // Only this watch's stream was dropped (its request aborted). The connection it shares with leases, writes
          // and other watches is left alone: a connection that died silently is found by the HTTP/2 pings.
          this.log.warn({ resourceVersion: this.rv }, "watch delivered nothing for too long; re-establishing it");
        }
      } catch (err) {
        if (signal.aborted) break;
        const now = Date.now();
        const decision = failed(this.state, classify(err), now);
        this.state = decision.state;
        if (decision.action === "page lists") {
          // An API server without streaming lists (older than 1.27, or the feature turned off): page the list instead.
          this.log.info({ reason: (err as Error).message }, "streaming lists not available; using paginated lists");
          continue;
        }
        if (decision.action === "relist") {
          this.stats.relistsAfterGone++;
          informerWatchRestarts.inc({ kind: this.kindLabel, reason: "gone" });
          this.log.info({ resourceVersion: this.rv, reason: (err as Error).message }, "watch resourceVersion is gone; relisting");
          if (decision.pause) await this.pause(this.backoff.next(now), signal);
          continue;
        }
        const listing = decision.listing;
        this.stats.errors++;
        if (!listing) informerWatchRestarts.inc({ kind: this.kindLabel, reason: "error" });
        const wait = this.backoff.next();
        this.log.warn({ err, retryInMs: wait }, listing ? "list failed" : "watch failed");
        await this.pause(wait, signal);
      }
    }
    this.stats.watching = false;
  }

  private prepare(obj: T): T {
    if (this.options.metadataOnly) {
      // The server sends meta.k8s.io/v1 PartialObjectMetadata (or, without that conversion, the whole object).
      obj = toPartialObjectMetadata(obj, this.options) as unknown as T;
    } else {
      if (obj.apiVersion === undefined) obj.apiVersion = this.options.apiVersion;
      if (obj.kind === undefined) obj.kind = this.options.kind;
    }
    const transform = this.options.transform;
    if (!transform) return obj;
    try {
      return transform(obj);
    } catch (err) {
      this.log.error({ err }, "transform failed; storing the object as received");
      return obj;
    }
  }

  private baseQuery(): Query {
    return { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector };
  }

  private async list(signal: AbortSignal): Promise<void> {
    const { transport, path } = this.options;
    const pageSize = this.options.tuning?.listPageSize ?? DEFAULT_PAGE_SIZE;
    let paginate = pageSize > 0;
    for (;;) {
      const items: T[] = [];
      let rv = "";
      let cont: string | undefined;
      try {
        do {
          // No resourceVersion: a consistent read of the latest state, which pages can be taken from.
          const query = { ...this.baseQuery(), limit: paginate ? pageSize : undefined, continue: cont };
          const accept = this.options.metadataOnly ? METADATA_LIST_ACCEPT : undefined;
          const page = await transport.request<ObjectList<T>>("GET", path, { query, signal, accept });
          this.stats.listPages++;
          for (const item of page.items ?? []) items.push(this.prepare(item));
          rv = page.metadata?.resourceVersion ?? rv;
          cont = page.metadata?.continue || undefined;
        } while (cont);
      } catch (err) {
        if (cont !== undefined && isGone(err) && !signal.aborted) {
          // The snapshot behind the continue token was compacted away: start over in one request.
          this.stats.unpaginatedFallbacks++;
          this.log.info("list continue token expired; listing again without pagination");
          paginate = false;
          continue;
        }
        throw err;
      }
      if (signal.aborted) return;
      this.finishList(items, rv);
      return;
    }
  }

  private async watch(signal: AbortSignal, initial: boolean): Promise<WatchOutcome> {
    const { transport, path, sink } = this.options;
    // While the initial events stream in they are collected, and handed over as one list at the end-of-list bookmark.
    let collecting: T[] | undefined = initial ? [] : undefined;
    const bounds = this.options.tuning?.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT;
    const timeoutSeconds = bounds.max > bounds.min ? randomInt(bounds.min, bounds.max + 1) : bounds.min;
    const steadyInactivityMs = this.options.tuning?.watchInactivityTimeoutMs ?? timeoutSeconds * 1000 + WATCHDOG_MARGIN_MS;
    // Initial events come back to back and end with a bookmark: a long silence then means no bookmark is coming.
    let inactivityMs = initial ? Math.min(steadyInactivityMs, INITIAL_EVENTS_SILENCE_MS) : steadyInactivityMs;

    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const started = Date.now();
    let lastActivity = started;
    let stalled = false;
    let events = 0;
    // One timer per watch that re-arms itself for the remaining time, instead of a timer reset per event.
    const check = () => {
      const idle = Date.now() - lastActivity;
      if (idle >= inactivityMs) {
        stalled = true;
        controller.abort();
      } else {
        timer = setTimeout(check, inactivityMs - idle);
      }
    };
    let timer: NodeJS.Timeout | undefined = setTimeout(check, inactivityMs);

    const query: Query = initial
      ? { ...this.baseQuery(), allowWatchBookmarks: true, sendInitialEvents: true, resourceVersionMatch: "NotOlderThan", timeoutSeconds }
      : { ...this.baseQuery(), allowWatchBookmarks: true, resourceVersion: this.rv, timeoutSeconds };
    this.stats.watches++;
    this.stats.watching = true;
    try {
      for await (const batch of transport.watch<T>(path, query, controller.signal, this.options.metadataOnly ? METADATA_ACCEPT : undefined) as AsyncGenerator<WatchEvent<T>[]>) {
        lastActivity = Date.now();
        for (const event of batch) {
          events++;
          const obj = event.object;
          if (collecting) {
            if (event.type === "ADDED") {
              collecting.push(this.prepare(obj));
              continue;
            }
            if (event.type === "BOOKMARK" && obj?.metadata?.annotations?.[INITIAL_EVENTS_END] === "true") {
              this.finishList(collecting, obj.metadata.resourceVersion ?? "");
              collecting = undefined;
              inactivityMs = steadyInactivityMs;
              continue;
            }
          }
          switch (event.type) {
            case "ADDED":
            case "MODIFIED":
              this.stats.events++;
              sink.upsert(this.prepare(obj));
              break;
            case "DELETED":
              this.stats.events++;
              sink.remove(this.prepare(obj));
              break;
            case "BOOKMARK":
              this.stats.bookmarks++;
              break;
          }
          const rv = obj?.metadata?.resourceVersion;
          if (rv) {
            this.rv = rv;
            sink.resourceVersion?.(rv);
          }
        }
      }
    } finally {
      this.stats.watching = false;
      clearTimeout(timer);
      timer = undefined;
      signal.removeEventListener("abort", onAbort);
    }
    if (collecting && !signal.aborted) {
      // The stream ended (or stalled) before the end-of-list bookmark: this server does not stream lists.
      throw new WatchListUnsupported(stalled ? "no end-of-list bookmark arrived" : "the watch ended before the end-of-list bookmark");
    }
    if (stalled) return "stalled";
    if (events === 0 && Date.now() - started < SHORT_WATCH_MS && !signal.aborted) return "short";
    return "timeout";
  }

  /** A complete list has arrived (paged or streamed): it replaces the sink's state. */
  private finishList(items: T[], rv: string): void {
    const arrived = listArrived(this.state);
    this.state = arrived.state;
    this.rv = rv;
    this.stats.lists++;
    informerLists.inc({ kind: this.kindLabel });
    this.options.sink.replace(items, rv, arrived.first);
    this.options.sink.resourceVersion?.(rv);
  }
}

/** The bookmark annotation that ends the initial events of a streaming list. */
const INITIAL_EVENTS_END = "k8s.io/initial-events-end";

class WatchListUnsupported extends Error {}

/** What a failure means to the state machine; the errors' shapes stay here, with the I/O. */
function classify(err: unknown): ReflectorFailure {
  if (err instanceof WatchListUnsupported || isWatchListRejected(err)) return "streaming unsupported";
  if (isGone(err) || isResourceVersionTooLarge(err)) return "gone";
  return "other";
}

/** A server that does not accept sendInitialEvents answers the watch with 400 or 422 (Invalid). */
function isWatchListRejected(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 400 || err.code === 422);
}

/** The API server's answer to a watch from a resourceVersion it has not reached yet (after an etcd restore, say). */
function isResourceVersionTooLarge(err: unknown): boolean {
  return (
    err instanceof ApiError &&
    (err.status.details?.causes ?? []).some((c) => c.reason === "ResourceVersionTooLarge")
  );
}

