import { subscribe } from "node:diagnostics_channel";
import type { ClientHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import { Agent, buildConnector } from "undici";
import type { TlsMaterial } from "./credentials.ts";

/** Marks the sockets of this module's pools, so that the stream guard leaves every other HTTP/2 client alone. */
const POOL_SOCKET = Symbol("operator-ts.pool-socket");

/**
 * undici (8.13) can destroy an HTTP/2 stream it no longer listens to when a pool is destroyed with streams open: Node
 * then emits the pool's ClientDestroyedError on that stream with no 'error' listener, an uncaught exception that
 * killed processes at a cluster's stop. The request behind such a stream has already settled through undici's own
 * handlers, so a persistent listener on each of our streams only keeps the process alive. Node announces every client
 * stream on this diagnostics channel as it is created.
 */
function guardStream({ stream }: { stream: ClientHttp2Stream }): void {
  let ours = false;
  try {
    ours = (stream.session?.socket as unknown as Record<symbol, unknown> | undefined)?.[POOL_SOCKET] === true;
  } catch {
    // A session already unbound from its socket: not a stream that will be written to.
  }
  if (ours) stream.on("error", ignore);
}

function ignore(): void {}

let guarding = false;

export interface AgentOptions {
  http2: boolean;
  connections: number;
  tls: TlsMaterial;
  /** Told of each connection the pool makes, once it is up. */
  onSocket?: (socket: Socket) => void;
}

/** A connection pool to one API server: HTTP/2 when the server offers it (or HTTP/1.1 keep-alive), TLS from the kubeconfig. */
export function newAgent({ http2, connections, tls, onSocket }: AgentOptions): Agent {
  if (!guarding) {
    subscribe("http2.client.stream.created", guardStream as (message: unknown) => void);
    guarding = true;
  }
  const connector = buildConnector({ timeout: 10_000, allowH2: http2, ...tls });
  return new Agent({
    allowH2: http2,
    connections,
    keepAliveTimeout: 30_000,
    // client-go pings idle HTTP/2 connections too: a connection that died silently is found and replaced.
    h2Options: { pingInterval: 15_000 },
    connect: (opts, callback) =>
      connector(opts, (err, socket) => {
        if (socket) {
          (socket as Socket & Record<symbol, unknown>)[POOL_SOCKET] = true;
          onSocket?.(socket as Socket);
        }
        (callback as (err: Error | null, socket: unknown) => void)(err, socket);
      }),
  });
}
