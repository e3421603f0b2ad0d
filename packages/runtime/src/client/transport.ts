import type { KubeConfig } from "@kubernetes/client-node";
import type { Socket } from "node:net";
import type { Agent, Dispatcher } from "undici";
import { newAgent } from "./agent.ts";
import { restClientRequests } from "../metrics/registry.ts";
import { sameTls, type TlsMaterial, tlsOf, type WriteGate } from "./credentials.ts";
import { ApiError, type Status, toStatus } from "./errors.ts";
import { currentRequestScope, isWriteMethod } from "./scope.ts";

export type { WriteGate } from "./credentials.ts";

/** The transport's two pools: "shared" (HTTP/2 where offered) for most requests, "fenced" (HTTP/1.1) for leader-only writes. */
type Pool = "shared" | "fenced";

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Overrides the transport's request timeout for this call. */
  timeoutMs?: number;
  /** The Accept header; default application/json. Metadata-only reads ask for PartialObjectMetadataList with it. */
  accept?: string;
}

export interface TransportOptions {
  userAgent?: string;
  /** Connections per origin when the server speaks HTTP/1.1 (HTTP/2 multiplexes on one). */
  connections?: number;
  /** How long a request may wait for the response headers, and then between body chunks; default 30 s. */
  requestTimeoutMs?: number;
  /**
   * How often credentials and TLS files are read again (exec plugins, projected tokens, a rotated client certificate
   * or CA file); default 60 s. A 401 or a failed connection reads them at once.
   */
  credentialRefreshMs?: number;
}

export interface WatchEvent<T = unknown> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

/** Where requestText hands a write's fence to the interceptor, which asks it again just before the bytes are sent. */
const FENCE = Symbol("operator-ts.fence");

/**
 * A write waits in the pool's queue when every connection is busy and is written to a socket later, from an I/O
 * callback, possibly after the process was paused past its lease: the fence is asked once more at that moment.
 */
interface Fenced {
  fence: () => Error | undefined;
  refused?: Error;
  /** The refusal was the write gate's (a connection not checked yet), not the leader fence's. */
  refusedByGate?: boolean;
}

/** A write the gate refused on a new connection is retried this often, each time after the gate's check ran. */
const GATE_ATTEMPTS = 3;

class FencedHandler implements Dispatcher.DispatchHandler {
  private readonly inner: Dispatcher.DispatchHandler;
  private readonly fenced: Fenced;

  constructor(inner: Dispatcher.DispatchHandler, fenced: Fenced) {
    this.inner = inner;
    this.fenced = fenced;
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    const refused = this.fenced.fence();
    if (refused) {
      this.fenced.refused = refused;
      controller.abort(refused);
      return;
    }
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(...args: Parameters<NonNullable<Dispatcher.DispatchHandler["onRequestUpgrade"]>>): void {
    this.inner.onRequestUpgrade?.(...args);
  }

  onResponseStarted(): void {
    this.inner.onResponseStarted?.();
  }

  onResponseStart(...args: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseStart"]>>): void {
    this.inner.onResponseStart?.(...args);
  }

  onResponseData(...args: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseData"]>>): void {
    this.inner.onResponseData?.(...args);
  }

  onResponseEnd(...args: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseEnd"]>>): void {
    this.inner.onResponseEnd?.(...args);
  }

  onResponseError(...args: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseError"]>>): void {
    this.inner.onResponseError?.(...args);
  }

  onBodySent(chunk: Buffer): void {
    this.inner.onBodySent?.(chunk);
  }

  onRequestSent(): void {
    this.inner.onRequestSent?.();
  }
}

const fenceInterceptor: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
  const fenced = (opts as { [FENCE]?: Fenced })[FENCE];
  return dispatch(opts, fenced ? new FencedHandler(handler, fenced) : handler);
};

/** Credentials that expire (exec plugins, OIDC, projected token files) are re-read this often. */
const AUTH_REFRESH_MS = 60_000;
/** A failed connection re-reads TLS files at most this often: a server that is down must not make us read in a loop. */
const TLS_RELOAD_ON_ERROR_MS = 5_000;

/**
 * HTTP to one API server with the credentials of one kubeconfig context, over a single keep-alive connection pool.
 * client-node's generated clients build a dispatcher per call; a controller runtime makes thousands of calls a second
 * and needs the pool, so client-node is used for what it does well: reading kubeconfigs and their auth plugins.
 */
export class RestTransport {
  readonly server: string;
  readonly host: string;
  private dispatcher: Dispatcher;
  /**
   * Fenced writes (leader-only work) go over HTTP/1.1: Node's HTTP/2 queues a stream's frames for a later turn of the
   * event loop, after the fence was asked, so a process paused in between would send them once it wakes; HTTP/1.1
   * writes the request to the socket in the same turn as the fence's last look. Made on first use.
   */
  private fencedDispatcher: Dispatcher | undefined;
  private readonly makeDispatcher: (pool: Pool) => Dispatcher;
  private readonly requestTimeoutMs: number;
  private readonly credentialRefreshMs: number;
  private headers: Record<string, string> = {};
  private authLoadedAt = 0;
  private authLoading: Promise<void> | undefined;
  private kubeconfig: KubeConfig;
  /** The CA, client certificate and key the pools connect with: when a reload finds others, new pools take over. */
  private tls: TlsMaterial;
  private tlsErrorReloadAt = 0;
  private readonly userAgent: string;
  private writeGate: WriteGate | undefined;
  private readonly reconnectListeners = new Set<() => void>();
  /** Connections of both pools that are open now: a connection made while none is open may reach another server. */
  private openConnections = 0;

  private constructor(
    kubeconfig: KubeConfig,
    server: string,
    tls: TlsMaterial,
    makeAgent: (http2: boolean, tls: TlsMaterial, onSocket: (socket: Socket) => void) => Agent,
    options: TransportOptions,
  ) {
    this.kubeconfig = kubeconfig;
    this.tls = tls;
    this.userAgent = options.userAgent ?? "operator-ts";
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.credentialRefreshMs = options.credentialRefreshMs ?? AUTH_REFRESH_MS;
    this.server = server.replace(/\/$/, "");
    this.host = new URL(this.server).host;
    this.makeDispatcher = (pool) => {
      const agent = makeAgent(pool === "shared", this.tls, (socket) => this.connected(socket));
      return agent.compose(fenceInterceptor);
    };
    this.dispatcher = this.makeDispatcher("shared");
  }

  static async fromKubeConfig(kubeconfig: KubeConfig, options: TransportOptions = {}) {
    const cluster = kubeconfig.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig context "${kubeconfig.getCurrentContext()}" names no cluster`);
    const opts: Record<string, unknown> = {};
    await kubeconfig.applyToHTTPSOptions(opts as never);
    const makeAgent = (http2: boolean, tls: TlsMaterial, onSocket: (socket: Socket) => void) =>
      newAgent({ http2, tls, connections: options.connections ?? 16, onSocket });
    const transport = new RestTransport(kubeconfig, cluster.server, tlsOf(opts), makeAgent, options);
    transport.headers = (opts.headers as Record<string, string>) ?? {};
    transport.authLoadedAt = Date.now();
    return transport;
  }

  /**
   * Takes another credential for the same server (a renewed token, a rotated certificate): requests from now on carry
   * it, open watches and the caches fed by them go on. A kubeconfig for another server is refused: what the caches
   * hold would be another cluster's.
   */
  async setKubeConfig(kubeconfig: KubeConfig): Promise<void> {
    const server = kubeconfig.getCurrentCluster()?.server?.replace(/\/$/, "");
    if (server !== this.server) throw new Error(`the new kubeconfig is for another server (${server ?? "none"}, not ${this.server})`);
    // Loaded before it replaces the old one: a kubeconfig that cannot be used leaves the transport as it was.
    const opts: Record<string, unknown> = {};
    await kubeconfig.applyToHTTPSOptions(opts as never);
    this.kubeconfig = kubeconfig;
    this.applyLoaded(opts);
  }

  /**
   * Told when a connection is made while no other connection to the server is open: the server behind the address may
   * have been replaced since the last one (a recreated cluster). A connection made while another is open reaches the
   * same cluster: the same server, or another of its API servers behind one load balancer. The first connection counts.
   */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  private connected(socket: Socket): void {
    const afterGap = this.openConnections === 0;
    this.openConnections++;
    socket.once("close", () => this.openConnections--);
    if (afterGap) for (const l of this.reconnectListeners) l();
  }

  /** Every write waits for the gate, and is refused when it says so; undefined removes it. */
  setWriteGate(gate: WriteGate | undefined): void {
    this.writeGate = gate;
  }

  private applyLoaded(opts: Record<string, unknown>): void {
    this.headers = (opts.headers as Record<string, string>) ?? {};
    this.authLoadedAt = Date.now();
    const tls = tlsOf(opts);
    if (!sameTls(tls, this.tls)) {
      // New connections use the new material; requests and watches in flight finish on the old ones.
      this.tls = tls;
      const old = [this.dispatcher, this.takeFencedDispatcher()];
      this.dispatcher = this.makeDispatcher("shared");
      for (const d of old) void d?.close().catch(() => undefined);
    }
  }

  private async authHeaders(force = false): Promise<Record<string, string>> {
    if (force || Date.now() - this.authLoadedAt > this.credentialRefreshMs) {
      this.authLoading ??= (async () => {
        const kubeconfig = this.kubeconfig;
        const opts: Record<string, unknown> = {};
        await kubeconfig.applyToHTTPSOptions(opts as never);
        // A setKubeConfig() meanwhile wins over what the old kubeconfig gave.
        if (kubeconfig === this.kubeconfig) this.applyLoaded(opts);
      })().finally(() => (this.authLoading = undefined));
      await this.authLoading;
    }
    return this.headers;
  }

  /** A connection failed: a rotated CA or client certificate file may be why, so read them again (not too often). */
  private reloadAfterConnectionError(): void {
    if (Date.now() - this.tlsErrorReloadAt < TLS_RELOAD_ON_ERROR_MS) return;
    this.tlsErrorReloadAt = Date.now();
    void this.authHeaders(true).catch(() => undefined);
  }

  /** Request headers by content type, built once per credential refresh instead of once per request. */
  private readonly headerSets = new Map<string, Record<string, string>>();
  private headerSetsFor: Record<string, string> | undefined;

  private async headersFor(contentType: string | undefined, accept = "application/json"): Promise<Record<string, string>> {
    const auth = await this.authHeaders();
    if (this.headerSetsFor !== auth) {
      this.headerSets.clear();
      this.headerSetsFor = auth;
    }
    const key = `${contentType ?? ""}|${accept}`;
    let headers = this.headerSets.get(key);
    if (!headers) {
      headers = { ...auth, accept, "user-agent": this.userAgent };
      if (contentType) headers["content-type"] = contentType;
      this.headerSets.set(key, headers);
    }
    return headers;
  }

  private url(path: string, query?: Query): string {
    if (!query) return path;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, String(v));
    const qs = params.toString();
    return qs ? `${path}?${qs}` : path;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const text = await this.requestText(method, path, options);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * One request. The scope of the work running now (see withRequestScope) applies: its fence may refuse a write, and a
   * write that passes no signal of its own takes the scope's.
   */
  async requestText(method: string, path: string, options: RequestOptions = {}, retriedAuth = false): Promise<string> {
    const scope = currentRequestScope();
    const write = isWriteMethod(method);
    // Asked for reads too: whoever finds leadership gone first stops the leader-only work at once.
    const refused = scope?.fence?.();
    if (refused && write) throw refused;
    const signal = options.signal ?? (write ? scope?.signal : undefined);
    signal?.throwIfAborted();
    const gate = write ? this.writeGate : undefined;
    const leaderFence = write ? scope?.fence : undefined;
    // Only leader-only writes need HTTP/1.1 (see fencedDispatcher); the gate's last look works over HTTP/2 too.
    const pool: Pool = leaderFence ? "fenced" : "shared";
    let body: string | undefined;
    if (options.body !== undefined) body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    let response: Dispatcher.ResponseData;
    for (let attempt = 1; ; attempt++) {
      if (gate) await gate.beforeWrite(signal);
      const headers = await this.headersFor(body === undefined ? undefined : (options.contentType ?? "application/json"), options.accept);
      const fenced: Fenced | undefined =
        leaderFence || gate
          ? {
              fence() {
                const leaderRefused = leaderFence?.();
                if (leaderRefused) return leaderRefused;
                const gateRefused = gate?.check();
                this.refusedByGate = gateRefused !== undefined;
                return gateRefused;
              },
            }
          : undefined;
      try {
        const dispatcher = pool === "fenced" ? (this.fencedDispatcher ??= this.makeDispatcher("fenced")) : this.dispatcher;
        response = await dispatcher.request({
          origin: this.server,
          path: this.url(path, options.query),
          method: method as Dispatcher.HttpMethod,
          headers,
          body,
          signal: signal ?? null,
          headersTimeout: options.timeoutMs ?? this.requestTimeoutMs,
          bodyTimeout: options.timeoutMs ?? this.requestTimeoutMs,
          ...(fenced ? { [FENCE]: fenced } : {}),
        });
        break;
      } catch (err) {
        // The gate refuses a write when every connection closed and a new one was made since its check: checked again
        // and tried again, rather than failed for the caller. Nothing was sent, so nothing is counted.
        if (fenced?.refused && fenced.refusedByGate && attempt < GATE_ATTEMPTS && !signal?.aborted) continue;
        restClientRequests.inc({ code: "<error>", method, host: this.host });
        if (signal?.aborted) throw signal.reason ?? err;
        if (fenced?.refused) throw fenced.refused;
        this.reloadAfterConnectionError();
        throw new ApiError(method, path, 0, { reason: "ConnectionFailed", message: (err as Error).message });
      }
    }
    restClientRequests.inc({ code: String(response.statusCode), method, host: this.host });
    const text = await response.body.text();
    if (response.statusCode >= 200 && response.statusCode < 300) return text;
    if (response.statusCode === 401 && !retriedAuth) {
      // The token may have rotated under us (projected service-account tokens, exec plugins): reload once.
      await this.authHeaders(true);
      return this.requestText(method, path, { ...options, signal }, true);
    }
    throw new ApiError(method, path, response.statusCode, toStatus(response.statusCode, text));
  }

  /**
   * Opens a watch and yields its events, in batches: all the complete events of each chunk the server sent, so a busy
   * stream costs one await per chunk rather than per event. Ends when the server closes the stream (its
   * timeoutSeconds), and throws an ApiError for an HTTP failure or an ERROR event (410 Gone among them), so the caller
   * decides between resume and relist.
   */
  async *watch<T>(path: string, query: Query, signal: AbortSignal, accept?: string): AsyncGenerator<WatchEvent<T>[]> {
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatcher.request({
        origin: this.server,
        path: this.url(path, { ...query, watch: true }),
        method: "GET",
        headers: await this.headersFor(undefined, accept),
        signal,
        headersTimeout: this.requestTimeoutMs,
        bodyTimeout: 0,
      });
    } catch (err) {
      restClientRequests.inc({ code: "<error>", method: "WATCH", host: this.host });
      if (signal.aborted) return;
      this.reloadAfterConnectionError();
      throw new ApiError("WATCH", path, 0, { reason: "ConnectionFailed", message: (err as Error).message });
    }
    restClientRequests.inc({ code: String(response.statusCode), method: "WATCH", host: this.host });
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      if (response.statusCode === 401) await this.authHeaders(true);
      throw new ApiError("WATCH", path, response.statusCode, toStatus(response.statusCode, text));
    }
    // Events are JSON documents, one a line; a line may span chunks, so the unfinished tail waits for the next one.
    let tail: Buffer[] = [];
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        const events: WatchEvent<T>[] = [];
        let start = 0;
        for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
          const line = tail.length ? Buffer.concat([...tail, chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
          tail = [];
          start = nl + 1;
          if (line.length === 0) continue;
          const event = JSON.parse(line.toString("utf8")) as WatchEvent<T>;
          if (event.type === "ERROR") {
            // What came before the error in this chunk still counts; then the caller decides what the error means.
            if (events.length) yield events;
            const status = event.object as Status;
            throw new ApiError("WATCH", path, status.code ?? 500, status);
          }
          events.push(event);
        }
        if (start < chunk.length) tail.push(chunk.subarray(start));
        if (events.length) yield events;
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError) throw err;
      throw new ApiError("WATCH", path, 0, { reason: "ConnectionFailed", message: (err as Error).message });
    } finally {
      response.body.destroy();
    }
  }

  /**
   * Drops every connection (in-flight requests fail and are retried by their callers) and starts a fresh pool: for a
   * connection that stopped carrying data without being closed.
   */
  resetConnections(): void {
    const old = this.dispatcher;
    this.dispatcher = this.makeDispatcher("shared");
    void this.takeFencedDispatcher()?.destroy().catch(() => undefined);
    void old.destroy().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([this.dispatcher.close(), this.takeFencedDispatcher()?.close()]);
  }

  /** Closes every connection at once, in-flight requests included. */
  async destroy(): Promise<void> {
    // A pool already closed or destroyed (a close() before, a reset) is where destroy() wants to be: not an error.
    const destroyed = (d: Dispatcher | undefined) => d?.destroy().catch((err: unknown) => {
      if ((err as { code?: string }).code !== "UND_ERR_DESTROYED") throw err;
    });
    await Promise.all([destroyed(this.dispatcher), destroyed(this.takeFencedDispatcher())]);
  }

  /** The fenced pool, forgotten: closed or destroyed once, however often close() and destroy() are called. */
  private takeFencedDispatcher(): Dispatcher | undefined {
    const d = this.fencedDispatcher;
    this.fencedDispatcher = undefined;
    return d;
  }
}
