import { setTimeout as delay } from "node:timers/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { cache } from "@operator-ts/runtime";
import type { ClusterAware } from "./provider.ts";

/** A cluster a provider wants engaged: its connection's fingerprint, and the connection, made only when needed. */
export interface Wanted {
  fingerprint: string;
  kubeconfig(): KubeConfig;
}

/**
 * The clusters one provider engaged, brought in line with what it wants now: new ones engaged, changed ones engaged
 * again (only them), vanished ones disengaged. For providers that read a whole list each time (a file, a folder).
 */
export class EngagedSet {
  private readonly aware: ClusterAware;
  /** name -> fingerprint, set only once engaged */
  private readonly known = new Map<string, string>();

  constructor(aware: ClusterAware) {
    this.aware = aware;
  }

  fingerprint(name: string): string | undefined {
    return this.known.get(name);
  }

  /** Rejects, naming each cluster that could not be engaged (`noun` says what stands for one), after trying all. */
  async bringInLine(wanted: Map<string, Wanted>, noun: string): Promise<void> {
    for (const name of [...this.known.keys()]) {
      if (!wanted.has(name)) {
        this.known.delete(name);
        await this.aware.disengage(name);
      }
    }
    const failed: string[] = [];
    for (const [name, want] of wanted) {
      if (this.known.get(name) === want.fingerprint) continue;
      // Recorded only once engaged: one whose engage failed is tried again at the next read; a replace that failed
      // left nothing engaged, so it is forgotten in between.
      this.known.delete(name);
      try {
        await this.aware.engage(name, want.kubeconfig(), { waitForSync: false });
        this.known.set(name, want.fingerprint);
      } catch (err) {
        failed.push(`${name}: ${(err as Error).message}`);
      }
    }
    if (failed.length) throw new Error(`could not add every ${noun} (retried at the next read): ${failed.join("; ")}`);
  }
}

/**
 * Runs `sync` every `pollMs` until the signal aborts; after a failed one the next comes sooner, after a backoff (at
 * most pollMs), since what failed (a cluster down, a file half written) is often fixed in seconds.
 */
export async function pollWithBackoff(
  signal: AbortSignal,
  pollMs: number,
  sync: () => Promise<void>,
  failed: (err: unknown, retryInMs: number) => void,
): Promise<void> {
  const backoff = new cache.Backoff({ initialMs: Math.min(1000, pollMs), maxMs: pollMs });
  while (!signal.aborted) {
    let waitMs = pollMs;
    try {
      await sync();
      backoff.reset();
    } catch (err) {
      waitMs = backoff.next();
      failed(err, waitMs);
    }
    await delay(waitMs, undefined, { signal }).catch(() => undefined);
  }
}
