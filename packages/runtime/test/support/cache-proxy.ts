import { connect, createServer, type Server, type Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

interface Pair {
  client: Socket;
  upstream: Socket;
}

/**
 * A TCP relay on loopback in front of an API server, for faults the server itself cannot be asked to make: a stream
 * that stays open but carries nothing (stall), and a network that drops and refuses connections (block).
 */
export class LoopbackProxy {
  readonly port: number;
  private readonly server: Server;
  private readonly pairs = new Set<Pair>();
  /** Connections accepted while silenced: held open, never relayed. */
  private readonly silent = new Set<Socket>();
  private blocked = false;
  private silenced = false;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static async start(targetPort: number): Promise<LoopbackProxy> {
    let proxy: LoopbackProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("proxy has no port");
    proxy = new LoopbackProxy(server, address.port);
    return proxy;
  }

  /** Connections accepted so far, refused ones included. */
  accepted = 0;

  private accept(client: Socket, targetPort: number): void {
    this.accepted++;
    if (this.blocked) {
      client.destroy();
      return;
    }
    if (this.silenced) {
      this.silent.add(client);
      client.on("data", () => {}).on("error", () => client.destroy()).on("close", () => this.silent.delete(client));
      return;
    }
    const upstream = connect({ host: "127.0.0.1", port: targetPort });
    const pair = { client, upstream };
    this.pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Every open connection stops carrying bytes either way but stays open; new connections work. */
  stall(): number {
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
    return this.pairs.size;
  }

  /** The server goes silent, as a paused one does: open connections stall, new ones are accepted and never answered. */
  silence(): void {
    this.silenced = true;
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      upstream.pause();
      // What the client sends is read and dropped, so that the proxy sees the client close a connection it gave up on.
      client.on("data", () => {}).resume();
    }
  }

  /** Drops every connection and refuses new ones until unblock(). */
  block(): void {
    this.blocked = true;
    for (const { client, upstream } of [...this.pairs]) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    for (const client of [...this.silent]) client.destroy();
    this.silent.clear();
  }

  unblock(): void {
    this.blocked = false;
  }

  /** Open connections, silent ones included. */
  get connections(): number {
    return this.pairs.size + this.silent.size;
  }

  async close(): Promise<void> {
    this.block();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A copy of a kubeconfig whose current cluster is reached through a local port. */
export function kubeconfigThrough(kubeconfig: KubeConfig, port: number): KubeConfig {
  const current = kubeconfig.getCurrentCluster();
  if (!current) throw new Error("kubeconfig has no current cluster");
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: kubeconfig.clusters.map((c) => (c.name === current.name ? { ...c, server: `https://127.0.0.1:${port}` } : c)),
    users: kubeconfig.users,
    contexts: kubeconfig.contexts,
    currentContext: kubeconfig.currentContext,
  });
  return copy;
}
