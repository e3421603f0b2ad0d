import { readFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import { getLogger, type Logger } from "../log/index.ts";
import type { CertificatePair, CertificateSource } from "./certs.ts";

export interface CertWatcherOptions {
  /** How often the files are read again; default 10 s. Polling sees Secret volumes' symlink swaps, which events miss. */
  intervalMs?: number;
  log?: Logger;
}

/**
 * controller-runtime's certwatcher: serves a certificate and key from files (cert-manager's mounted Secret, say) and
 * picks up new ones when they change. A half-written pair (the key of one, the certificate of the other) is skipped
 * until both match; the server keeps the previous pair meanwhile.
 */
export class CertWatcher implements CertificateSource {
  readonly certPath: string;
  readonly keyPath: string;
  private readonly intervalMs: number;
  private readonly log: Logger;

  constructor(certPath: string, keyPath: string, options: CertWatcherOptions = {}) {
    this.certPath = certPath;
    this.keyPath = keyPath;
    this.intervalMs = options.intervalMs ?? 10_000;
    this.log = options.log ?? getLogger();
  }

  private async read(): Promise<CertificatePair> {
    // Both files are read at once, but a failure names them in a fixed order so the message does not depend on
    // which read the file system answered first.
    const [cert, key] = await Promise.allSettled([readFile(this.certPath, "utf8"), readFile(this.keyPath, "utf8")]);
    const problems: string[] = [];
    if (cert.status === "rejected") problems.push(`cannot read the serving certificate ${this.certPath}: ${(cert.reason as Error).message}`);
    if (key.status === "rejected") problems.push(`cannot read the serving key ${this.keyPath}: ${(key.reason as Error).message}`);
    if (cert.status === "rejected" || key.status === "rejected") throw new Error(`webhook server: ${problems.join("; ")}`);
    return { cert: cert.value, key: key.value };
  }

  async start(signal: AbortSignal, onUpdate: (pair: CertificatePair) => void): Promise<CertificatePair> {
    const first = await this.read();
    void this.watch(first, signal, onUpdate);
    return first;
  }

  private async watch(first: CertificatePair, signal: AbortSignal, onUpdate: (pair: CertificatePair) => void): Promise<void> {
    let last = first;
    while (!signal.aborted) {
      try {
        await delay(this.intervalMs, undefined, { signal });
      } catch {
        return;
      }
      try {
        const next = await this.read();
        if (next.cert !== last.cert || next.key !== last.key) {
          last = next;
          onUpdate(next);
        }
      } catch (err) {
        this.log.warn({ err }, "certificate files unreadable; serving the previous ones");
      }
    }
  }
}
