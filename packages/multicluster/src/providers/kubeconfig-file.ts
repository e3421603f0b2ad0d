import { setTimeout as delay } from "node:timers/promises";
import { readFile } from "node:fs/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { cache, type Logger, log } from "@operator-ts/runtime";
import { type ClusterAware, type ClusterProvider, contextFingerprint, type HomeClusterAware } from "./provider.ts";

export interface KubeconfigFileProviderOptions {
  path: string;
  /** Which contexts become clusters (default: all but the ones in exclude). */
  include?: (context: string) => boolean;
  /** Contexts never added, e.g. the home cluster's own. */
  exclude?: string[];
  /** How often the file is read again; default 10 s. */
  pollIntervalMs?: number;
  /** Default: the manager's logger when given a manager, else the process's. */
  logger?: Logger;
}

export { contextFingerprint };

/** A KubeConfig holding just one context of another, as the current one. */
export function singleContext(kc: KubeConfig, context: string): KubeConfig {
  const ctx = kc.getContextObject(context);
  if (!ctx) throw new Error(`kubeconfig has no context "${context}"`);
  const cluster = kc.getCluster(ctx.cluster);
  const user = kc.getUser(ctx.user);
  if (!cluster) throw new Error(`context "${context}" names a missing cluster`);
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: [cluster],
    users: user ? [user] : [],
    contexts: [{ ...ctx, name: context }],
    currentContext: context,
  });
  return out;
}

/**
 * Every context of a kubeconfig file is a cluster named after it. The file is read again now and then: new
 * contexts are added, changed ones replaced (only them), vanished ones removed. A read that could not engage every
 * context is followed by another after a backoff (at most the poll interval).
 */
export class KubeconfigFileProvider implements ClusterProvider {
  readonly name = "kubeconfig-file";
  private readonly aware: ClusterAware;
  private readonly options: KubeconfigFileProviderOptions;
  private readonly known = new Map<string, string>();

  constructor(aware: ClusterAware, options: KubeconfigFileProviderOptions) {
    this.aware = aware;
    this.options = options;
  }

  needLeaderElection(): boolean {
    return false;
  }

  /** Reads the file once and brings the clusters in line with it. */
  async sync(): Promise<void> {
    const kc = new KubeConfig();
    kc.loadFromString(await readFile(this.options.path, "utf8"));
    const exclude = new Set(this.options.exclude ?? []);
    const wanted = new Map<string, string>();
    for (const ctx of kc.getContexts()) {
      if (exclude.has(ctx.name) || (this.options.include && !this.options.include(ctx.name))) continue;
      wanted.set(ctx.name, contextFingerprint(kc, ctx.name));
    }
    for (const name of [...this.known.keys()]) {
      if (!wanted.has(name)) {
        this.known.delete(name);
        await this.aware.disengage(name);
      }
    }
    const failed: string[] = [];
    for (const [name, fingerprint] of wanted) {
      const previous = this.known.get(name);
      if (previous === fingerprint) continue;
      // Recorded only once engaged: a context whose engage failed is tried again at the next read; a replace that
      // failed left nothing engaged, so it is forgotten in between.
      this.known.delete(name);
      try {
        await this.aware.engage(name, singleContext(kc, name), { waitForSync: false });
        this.known.set(name, fingerprint);
      } catch (err) {
        failed.push(`${name}: ${(err as Error).message}`);
      }
    }
    if (failed.length) throw new Error(`could not add every context (retried at the next read): ${failed.join("; ")}`);
  }

  async start(signal: AbortSignal): Promise<void> {
    const manager = (this.aware as Partial<HomeClusterAware>).manager;
    const logger = (this.options.logger ?? manager?.log ?? log.getLogger()).child({ provider: this.name });
    const pollMs = this.options.pollIntervalMs ?? 10_000;
    const backoff = new cache.Backoff({ initialMs: Math.min(1000, pollMs), maxMs: pollMs });
    while (!signal.aborted) {
      let waitMs = pollMs;
      try {
        await this.sync();
        backoff.reset();
      } catch (err) {
        waitMs = backoff.next();
        logger.error({ err, path: this.options.path, retryInMs: waitMs }, "could not bring the clusters in line with the kubeconfig file; trying again");
      }
      await delay(waitMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
