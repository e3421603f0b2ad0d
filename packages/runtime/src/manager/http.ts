import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Checker, formatResults, runChecks } from "../healthz/index.ts";
import type { Logger } from "../log/index.ts";
import { registry } from "../metrics/registry.ts";
import type { ServerRunnable } from "../runnable/index.ts";

/** ":8080", "127.0.0.1:8080", "8080" -> host and port; "0" disables the server (controller-runtime's convention). */
export function parseBindAddress(address: string): { host: string | undefined; port: number } | undefined {
  if (!address || address === "0") return undefined;
  const i = address.lastIndexOf(":");
  const host = i > 0 ? address.slice(0, i).replace(/^\[|\]$/g, "") : undefined;
  const port = Number(i >= 0 ? address.slice(i + 1) : address);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid bind address "${address}"`);
  return { host, port };
}

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/** A plain HTTP server that the Manager starts first and stops last. */
export class HttpServerRunnable implements ServerRunnable {
  readonly isServerRunnable = true as const;
  readonly name: string;
  private readonly bind: { host: string | undefined; port: number };
  private readonly routes: Map<string, Route>;
  private readonly log: Logger;
  private server: Server | undefined;
  private resolveListening!: (address: AddressInfo) => void;
  private rejectListening!: (err: Error) => void;
  private readonly listening = new Promise<AddressInfo>((resolve, reject) => {
    this.resolveListening = resolve;
    this.rejectListening = reject;
  });

  constructor(name: string, bindAddress: { host: string | undefined; port: number }, routes: Map<string, Route>, log: Logger) {
    this.name = name;
    this.bind = bindAddress;
    this.routes = routes;
    this.log = log;
    // Whoever awaits address() sees a bind failure; nobody awaiting must not make it an unhandled rejection.
    this.listening.catch(() => undefined);
  }

  needLeaderElection(): boolean {
    return false;
  }

  /** The bound address, once listening (useful with port 0); rejects if the server could not bind. */
  address(): Promise<AddressInfo> {
    return this.listening;
  }

  async start(signal: AbortSignal): Promise<void> {
    const server = createServer(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const route = this.routes.get(url.pathname) ?? [...this.routes].find(([p]) => url.pathname.startsWith(`${p}/`))?.[1];
      if (!route) {
        res.writeHead(404).end("not found\n");
        return;
      }
      try {
        await route(req, res, url);
      } catch (err) {
        this.log.error({ err, path: url.pathname }, "http handler failed");
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }
    });
    this.server = server;
    const address = await new Promise<AddressInfo>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.bind.port, this.bind.host, () => resolve(server.address() as AddressInfo));
    }).then((bound) => {
      this.resolveListening(bound);
      return bound;
    }, (err: Error) => {
      this.rejectListening(err);
      throw new Error(`${this.name} server cannot listen on ${this.bind.host ?? ""}:${this.bind.port}: ${err.message}`);
    });
    this.log.info({ server: this.name, address: `${address.address}:${address.port}` }, "serving");
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

export function metricsRoutes(): Map<string, Route> {
  return new Map<string, Route>([
    [
      "/metrics",
      async (_req, res) => {
        const body = await registry.metrics();
        res.writeHead(200, { "content-type": registry.contentType }).end(body);
      },
    ],
  ]);
}

export function probeRoutes(healthz: Map<string, Checker>, readyz: Map<string, Checker>): Map<string, Route> {
  const handler = (path: string, checks: Map<string, Checker>): Route => async (_req, res, url) => {
    const sub = url.pathname.slice(path.length + 1);
    const selected = sub ? new Map([...checks].filter(([n]) => n === sub)) : checks;
    if (sub && !selected.size) {
      res.writeHead(404).end(`no check named ${sub}\n`);
      return;
    }
    const exclude = new Set(url.searchParams.getAll("exclude"));
    const results = await runChecks(selected, exclude);
    const { status, body } = formatResults(path, results, url.searchParams.has("verbose"));
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" }).end(body);
  };
  return new Map([
    ["/healthz", handler("/healthz", healthz)],
    ["/readyz", handler("/readyz", readyz)],
  ]);
}
