import { createInterface } from "node:readline";
import type { KubeConfig } from "@kubernetes/client-node";
import { Agent, type Dispatcher } from "undici";
import { restClientRequests } from "../metrics/registry.ts";
import { ApiError, type Status, toStatus } from "./errors.ts";

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Overrides the transport's request timeout for this call. */
  timeoutMs?: number;
}

export interface TransportOptions {
  userAgent?: string;
  /** Connections per origin when the server speaks HTTP/1.1 (HTTP/2 multiplexes on one). */
  connections?: number;
  /** How long a request may wait for the response headers, and then between body chunks; default 30 s. */
  requestTimeoutMs?: number;
}

export interface WatchEvent<T = unknown> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

/** Credentials that expire (exec plugins, OIDC, projected token files) are re-read this often. */
const AUTH_REFRESH_MS = 60_000;

/**
 * HTTP to one API server with the credentials of one kubeconfig context, over a single keep-alive connection pool.
 * client-node's generated clients build a dispatcher per call; a controller runtime makes thousands of calls a second
 * and needs the pool, so client-node is used for what it does well: reading kubeconfigs and their auth plugins.
 */
export class RestTransport {
  readonly server: string;
  readonly host: string;
  private dispatcher: Dispatcher;
  private readonly makeDispatcher: () => Dispatcher;
  private readonly requestTimeoutMs: number;
  private headers: Record<string, string> = {};
  private authLoadedAt = 0;
  private authLoading: Promise<void> | undefined;
  private readonly kubeconfig: KubeConfig;
  private readonly userAgent: string;

  private constructor(kubeconfig: KubeConfig, server: string, makeDispatcher: () => Dispatcher, options: TransportOptions) {
    this.kubeconfig = kubeconfig;
    this.userAgent = options.userAgent ?? "operator-ts";
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.server = server.replace(/\/$/, "");
    this.host = new URL(this.server).host;
    this.makeDispatcher = makeDispatcher;
    this.dispatcher = makeDispatcher();
  }

  static async fromKubeConfig(kubeconfig: KubeConfig, options: TransportOptions = {}) {
    const cluster = kubeconfig.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig context "${kubeconfig.getCurrentContext()}" names no cluster`);
    const tls: Record<string, unknown> = {};
    await kubeconfig.applyToHTTPSOptions(tls as never);
    const makeDispatcher = () =>
      new Agent({
        connections: options.connections ?? 16,
        keepAliveTimeout: 30_000,
        // client-go pings idle HTTP/2 connections too: a connection that died silently is found and replaced.
        h2Options: { pingInterval: 15_000 },
        connect: {
          timeout: 10_000,
          ca: tls.ca as Buffer | undefined,
          cert: tls.cert as Buffer | undefined,
          key: tls.key as Buffer | undefined,
          rejectUnauthorized: tls.rejectUnauthorized as boolean | undefined,
          servername: tls.servername as string | undefined,
        },
      });
    const transport = new RestTransport(kubeconfig, cluster.server, makeDispatcher, options);
    transport.headers = (tls.headers as Record<string, string>) ?? {};
    transport.authLoadedAt = Date.now();
    return transport;
  }

  private async authHeaders(force = false): Promise<Record<string, string>> {
    if (force || Date.now() - this.authLoadedAt > AUTH_REFRESH_MS) {
      this.authLoading ??= (async () => {
        const opts: Record<string, unknown> = {};
        await this.kubeconfig.applyToHTTPSOptions(opts as never);
        this.headers = (opts.headers as Record<string, string>) ?? {};
        this.authLoadedAt = Date.now();
      })().finally(() => (this.authLoading = undefined));
      await this.authLoading;
    }
    return this.headers;
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

  async requestText(method: string, path: string, options: RequestOptions = {}, retriedAuth = false): Promise<string> {
    const headers: Record<string, string> = {
      ...(await this.authHeaders()),
      accept: "application/json",
      "user-agent": this.userAgent,
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers["content-type"] = options.contentType ?? "application/json";
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatcher.request({
        origin: this.server,
        path: this.url(path, options.query),
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        signal: options.signal ?? null,
        headersTimeout: options.timeoutMs ?? this.requestTimeoutMs,
        bodyTimeout: options.timeoutMs ?? this.requestTimeoutMs,
      });
    } catch (err) {
      restClientRequests.inc({ code: "<error>", method, host: this.host });
      if (options.signal?.aborted) throw options.signal.reason ?? err;
      throw new ApiError(method, path, 0, { reason: "ConnectionFailed", message: (err as Error).message });
    }
    restClientRequests.inc({ code: String(response.statusCode), method, host: this.host });
    const text = await response.body.text();
    if (response.statusCode >= 200 && response.statusCode < 300) return text;
    if (response.statusCode === 401 && !retriedAuth) {
      // The token may have rotated under us (projected service-account tokens, exec plugins): reload once.
      await this.authHeaders(true);
      return this.requestText(method, path, options, true);
    }
    throw new ApiError(method, path, response.statusCode, toStatus(response.statusCode, text));
  }

  /**
   * Opens a watch and yields its events. Ends when the server closes the stream (its timeoutSeconds), and throws an
   * ApiError for an HTTP failure or an ERROR event (410 Gone among them), so the caller decides between resume and relist.
   */
  async *watch<T>(path: string, query: Query, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const headers = { ...(await this.authHeaders()), accept: "application/json", "user-agent": this.userAgent };
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatcher.request({
        origin: this.server,
        path: this.url(path, { ...query, watch: true }),
        method: "GET",
        headers,
        signal,
        headersTimeout: this.requestTimeoutMs,
        bodyTimeout: 0,
      });
    } catch (err) {
      restClientRequests.inc({ code: "<error>", method: "WATCH", host: this.host });
      if (signal.aborted) return;
      throw new ApiError("WATCH", path, 0, { reason: "ConnectionFailed", message: (err as Error).message });
    }
    restClientRequests.inc({ code: String(response.statusCode), method: "WATCH", host: this.host });
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      if (response.statusCode === 401) await this.authHeaders(true);
      throw new ApiError("WATCH", path, response.statusCode, toStatus(response.statusCode, text));
    }
    const lines = createInterface({ input: response.body, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (!line) continue;
        const event = JSON.parse(line) as WatchEvent<T>;
        if (event.type === "ERROR") {
          const status = event.object as Status;
          throw new ApiError("WATCH", path, status.code ?? 500, status);
        }
        yield event;
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError) throw err;
      throw new ApiError("WATCH", path, 0, { reason: "ConnectionFailed", message: (err as Error).message });
    } finally {
      lines.close();
      response.body.destroy();
    }
  }

  /**
   * Drops every connection (in-flight requests fail and are retried by their callers) and starts a fresh pool: for a
   * connection that stopped carrying data without being closed.
   */
  resetConnections(): void {
    const old = this.dispatcher;
    this.dispatcher = this.makeDispatcher();
    void old.destroy().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** Closes every connection at once, in-flight requests included. */
  async destroy(): Promise<void> {
    await this.dispatcher.destroy();
  }
}
