import { readFile } from "node:fs/promises";
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  createSecureServer,
  type Http2Server,
  type Http2Session,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import { join } from "node:path";
import type { TestCluster } from "../../src/envtest/index.ts";

interface Exchange {
  client: ServerHttp2Stream;
  upstream: ClientHttp2Stream;
}

/**
 * An HTTP/2 relay in front of a test cluster's API server, presenting the API server's own certificate so the
 * cluster's kubeconfig trusts it. Unlike a TCP relay it sees individual streams, so it can stall the open streams (a
 * watch that stays open and delivers nothing, as a stuck server or load balancer does) while the connection and new
 * streams stay healthy.
 */
export class StreamProxy {
  readonly port: number;
  private readonly server: Http2Server;
  private readonly upstream: ClientHttp2Session;
  private readonly exchanges = new Set<Exchange>();
  private readonly sessions = new Set<Http2Session>();

  private constructor(server: Http2Server, upstream: ClientHttp2Session, port: number) {
    this.server = server;
    this.upstream = upstream;
    this.port = port;
  }

  static async start(cluster: TestCluster): Promise<StreamProxy> {
    const cert = await readFile(join(cluster.dir, "certs", "apiserver.crt"));
    const key = await readFile(join(cluster.dir, "certs", "apiserver.key"));
    const upstream = connect(cluster.server, { ca: cert });
    upstream.on("error", () => {});
    let proxy: StreamProxy | undefined;
    const server = createSecureServer({ key, cert });
    server.on("session", (s) => {
      proxy!.sessions.add(s);
      s.on("close", () => proxy!.sessions.delete(s));
    });
    server.on("stream", (stream, headers) => proxy!.relay(stream, headers));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("proxy has no port");
    proxy = new StreamProxy(server, upstream, address.port);
    return proxy;
  }

  private relay(client: ServerHttp2Stream, headers: OutgoingHttpHeaders): void {
    const forwarded: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(headers)) if (k !== ":authority" && k !== ":scheme") forwarded[k] = v;
    const upstream = this.upstream.request(forwarded);
    const exchange = { client, upstream };
    this.exchanges.add(exchange);
    client.on("close", () => {
      this.exchanges.delete(exchange);
      if (!upstream.destroyed) upstream.close(constants.NGHTTP2_CANCEL);
    });
    client.on("error", () => {});
    // A normal end reaches the client through pipe(), after the data; only a reset is passed on at once.
    upstream.on("close", () => {
      if (upstream.rstCode !== undefined && upstream.rstCode !== constants.NGHTTP2_NO_ERROR && !client.destroyed) {
        client.close(upstream.rstCode);
      }
    });
    upstream.on("error", () => {
      if (!client.destroyed) client.close(constants.NGHTTP2_INTERNAL_ERROR);
    });
    upstream.on("response", (response) => {
      const out: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(response)) out[k] = v;
      if (!client.destroyed) client.respond(out);
      upstream.pipe(client);
    });
    client.pipe(upstream);
  }

  /** Every open stream stops delivering data to the client but stays open; new streams work. Returns how many. */
  stall(): number {
    for (const { client, upstream } of this.exchanges) {
      upstream.unpipe(client);
      upstream.pause();
    }
    return this.exchanges.size;
  }

  get openStreams(): number {
    return this.exchanges.size;
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.exchanges) {
      upstream.destroy();
      client.destroy();
    }
    for (const s of this.sessions) s.destroy();
    this.upstream.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
