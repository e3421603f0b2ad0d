import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { AddressInfo } from "node:net";
import { connect, createSecureContext, type SecureContextOptions, type TLSSocket } from "node:tls";
import type { Checker } from "../healthz/index.ts";
import { getLogger, type Logger } from "../log/index.ts";
import type { ServerRunnable } from "../runnable/index.ts";
import { webhookRequestStarted } from "../metrics/webhook.ts";
import { type AdmissionHandler, errored, MalformedReviewError, parseAdmissionReview } from "./admission.ts";
import { type CertificatePair, type CertificateSource } from "./certs.ts";
import { CertWatcher } from "./certwatcher.ts";

/**
 * One endpoint of the server: takes the decoded JSON body of a review and returns the review to answer with. Throwing
 * MalformedReviewError answers 400 with its message.
 */
export interface Webhook {
  review(body: unknown, signal: AbortSignal): Promise<unknown>;
}

export interface WebhookServerOptions {
  /** Defaults to every address. */
  host?: string;
  /** Defaults to 9443, as controller-runtime's; 0 picks a free port (see address()). */
  port?: number;
  /**
   * Where the certificate comes from. Without it, tls.crt and tls.key are read from certDir and reloaded when they
   * change (controller-runtime's default), which is how cert-manager's mounted Secrets are served.
   */
  certificates?: CertificateSource;
  /** Defaults to `<tmp>/k8s-webhook-server/serving-certs`, controller-runtime's default. */
  certDir?: string;
  certName?: string;
  keyName?: string;
  /** Extra TLS settings (minVersion is TLSv1.2 unless given). */
  tls?: Pick<SecureContextOptions, "minVersion" | "ciphers">;
  /** Bodies larger than this answer 413; controller-runtime's limit, 7 MiB, by default. */
  maxRequestBytes?: number;
  log?: Logger;
}

const MAX_BODY = 7 * 1024 * 1024;

/** "10s", "1m30s" as the API server sends its timeout query parameter; undefined when absent or unreadable. */
function parseTimeout(value: string | null): number | undefined {
  if (!value) return undefined;
  let ms = 0;
  for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"];
  }
  return ms > 0 ? ms : undefined;
}

/** Checks a pair the way a TLS server would load it, so that a bad file gives a sentence rather than an OpenSSL code. */
function secureContextOptions(pair: CertificatePair, where: string, extra: WebhookServerOptions["tls"]): SecureContextOptions {
  const options: SecureContextOptions = { cert: pair.cert, key: pair.key, minVersion: "TLSv1.2", ...extra };
  try {
    createSecureContext(options);
  } catch (err) {
    const reason = (err as Error).message;
    const hint = /mismatch/i.test(reason) ? "the key does not belong to the certificate" : /PEM|no start line|bad decrypt/i.test(reason) ? "not valid PEM" : reason;
    throw new Error(`webhook server: the serving certificate from ${where} cannot be used: ${hint} (${reason})`);
  }
  return options;
}

/**
 * controller-runtime's webhook.Server: HTTPS on one port, one path per webhook, run by the Manager in its server
 * group (before caches, since a conversion webhook may be needed to list objects) on every replica. The certificate
 * is swapped without a restart when its source renews it.
 */
export class WebhookServer implements ServerRunnable {
  readonly isServerRunnable = true as const;
  private readonly options: WebhookServerOptions;
  private readonly log: Logger;
  private readonly hooks = new Map<string, Webhook>();
  private server: Http2SecureServer | undefined;
  private readonly sockets = new Set<TLSSocket>();
  private current: CertificatePair | undefined;
  private resolveListening!: (address: AddressInfo) => void;
  private rejectListening!: (err: Error) => void;
  private readonly listening = new Promise<AddressInfo>((resolve, reject) => {
    this.resolveListening = resolve;
    this.rejectListening = reject;
  });

  constructor(options: WebhookServerOptions = {}) {
    this.options = options;
    this.log = (options.log ?? getLogger()).child({ component: "webhook-server" });
    this.listening.catch(() => undefined);
  }

  needLeaderElection(): boolean {
    return false;
  }

  /** Serves a webhook on a path ("/validate-..."); registering a path twice is a programming error. */
  register(path: string, hook: Webhook): void {
    if (!path.startsWith("/")) throw new Error(`webhook path "${path}" must start with /`);
    if (this.hooks.has(path)) throw new Error(`a webhook is already registered on ${path}`);
    this.hooks.set(path, hook);
    this.log.debug({ path }, "registered webhook");
  }

  /** The paths served so far. */
  paths(): string[] {
    return [...this.hooks.keys()];
  }

  /** Where the server listens, once it does; rejects if it could not start (no certificate, port taken). */
  address(): Promise<AddressInfo> {
    return this.listening;
  }

  /** The certificate being served (its CA among it when the source knows it), once started. */
  certificate(): CertificatePair | undefined {
    return this.current;
  }

  /**
   * A readiness check (controller-runtime's StartedChecker): passes once the server completes a TLS handshake with
   * itself, so a replica takes no traffic before it can answer.
   */
  startedChecker(): Checker {
    return async () => {
      if (!this.server) throw new Error("webhook server is not started yet");
      const { port } = await this.listening;
      await new Promise<void>((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, timeout: 5000 }, () => {
          socket.end();
          resolve();
        });
        socket.on("timeout", () => socket.destroy(new Error("TLS handshake timed out")));
        socket.on("error", (err) => reject(new Error(`webhook server does not answer TLS: ${err.message}`)));
      });
    };
  }

  async start(signal: AbortSignal): Promise<void> {
    const source = this.options.certificates ?? this.defaultSource();
    let server: Http2SecureServer;
    try {
      const first = await source.start(signal, (pair) => this.reload(pair));
      this.current = first;
      // HTTP/2 when the client offers it, as the API server does: its calls share one connection instead of opening
      // (and handshaking) one per request in flight beyond its idle pool. HTTP/1.1 for everyone else.
      server = createSecureServer({ ...secureContextOptions(first, "its source", this.options.tls), allowHTTP1: true }, (req, res) => void this.serve(req, res));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.rejectListening(error);
      throw error;
    }
    server.on("tlsClientError", (err, socket) => {
      // Usually an API server that does not trust this certificate: its caBundle is missing or stale.
      this.log.warn({ err, remote: socket.remoteAddress }, "TLS handshake with a webhook client failed");
    });
    server.on("secureConnection", (socket: TLSSocket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    this.server = server;
    const { host, port = 9443 } = this.options;
    const address = await new Promise<AddressInfo>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve(server.address() as AddressInfo));
    }).then(
      (bound) => {
        this.resolveListening(bound);
        return bound;
      },
      (err: Error) => {
        const error = new Error(`webhook server cannot listen on ${host ?? ""}:${port}: ${err.message}`);
        this.rejectListening(error);
        throw error;
      },
    );
    this.log.info({ address: `${address.address}:${address.port}`, paths: this.paths() }, "serving webhooks");
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private defaultSource(): CertificateSource {
    const dir = this.options.certDir ?? join(tmpdir(), "k8s-webhook-server", "serving-certs");
    return new CertWatcher(join(dir, this.options.certName ?? "tls.crt"), join(dir, this.options.keyName ?? "tls.key"), { log: this.log });
  }

  private reload(pair: CertificatePair): void {
    try {
      const options = secureContextOptions(pair, "its source", this.options.tls);
      // Connections in progress keep the context they started with; new handshakes get the new certificate.
      this.server?.setSecureContext(options);
      this.current = pair;
      this.log.info("serving a renewed certificate");
    } catch (err) {
      this.log.error({ err }, "kept the previous certificate");
    }
  }

  private async serve(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://localhost");
    const hook = this.hooks.get(url.pathname);
    if (!hook) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`no webhook is served on ${url.pathname}\n`);
      return;
    }
    const done = webhookRequestStarted(url.pathname);
    const answer = (code: number, body: string, type = "text/plain; charset=utf-8") => {
      if (!res.headersSent) res.writeHead(code, { "content-type": type }).end(body);
      done(code);
    };
    const abort = new AbortController();
    const timeoutMs = parseTimeout(url.searchParams.get("timeout"));
    const timer = timeoutMs ? setTimeout(() => abort.abort(new Error("the API server's timeout passed")), timeoutMs) : undefined;
    res.on("close", () => abort.abort(new Error("the client went away")));
    try {
      if (req.method !== "POST") return answer(405, `webhooks take POST, not ${req.method}\n`);
      const type = req.headers["content-type"] ?? "";
      if (!type.startsWith("application/json")) return answer(400, `content-type is "${type}", want application/json\n`);
      const text = await readBody(req, this.options.maxRequestBytes ?? MAX_BODY);
      if (text === undefined) return answer(413, "request body too large\n");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        return answer(400, `malformed review: the body is not JSON: ${(err as Error).message}\n`);
      }
      const reply = await hook.review(body, abort.signal);
      answer(200, JSON.stringify(reply), "application/json");
    } catch (err) {
      if (err instanceof MalformedReviewError) return answer(400, `malformed review: ${err.message}\n`);
      this.log.error({ err, path: url.pathname }, "webhook failed");
      answer(500, `webhook failed: ${(err as Error).message}\n`);
    } finally {
      clearTimeout(timer);
    }
  }
}

async function readBody(req: Http2ServerRequest, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Serves an AdmissionHandler as an admission webhook (controller-runtime's admission.Webhook). */
export function admissionWebhook(handler: AdmissionHandler, options: { log?: Logger } = {}): Webhook {
  const log = options.log ?? getLogger();
  return {
    async review(body, signal) {
      const review = parseAdmissionReview(body);
      let result;
      try {
        result = await handler.handle(review.request, signal);
      } catch (err) {
        log.error({ err, kind: review.request.kind?.kind, operation: review.request.operation }, "admission handler threw");
        result = errored(500, err);
      }
      return { apiVersion: review.apiVersion, kind: "AdmissionReview", response: { ...result, uid: review.request.uid } };
    },
  };
}
