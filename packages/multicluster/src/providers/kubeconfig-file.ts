import { setTimeout as delay } from "node:timers/promises";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { KubeConfig } from "@kubernetes/client-node";
import type { Runnable } from "@operator-ts/runtime";
import type { MultiClusterManager } from "../manager.ts";

export interface KubeconfigFileProviderOptions {
  path: string;
  /** Which contexts become clusters (default: all but the ones in exclude). */
  include?: (context: string) => boolean;
  /** Contexts never added, e.g. the home cluster's own. */
  exclude?: string[];
  /** How often the file is read again; default 10 s. */
  pollIntervalMs?: number;
}

/** One kubeconfig context as a stable fingerprint: a change of server, CA or credentials changes it. */
export function contextFingerprint(kc: KubeConfig, context: string): string {
  const ctx = kc.getContextObject(context);
  const cluster = ctx ? kc.getCluster(ctx.cluster) : null;
  const user = ctx ? kc.getUser(ctx.user) : null;
  return createHash("sha256").update(JSON.stringify({ ctx, cluster, user })).digest("hex");
}

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
 * contexts are added, changed ones replaced (only them), vanished ones removed.
 */
export class KubeconfigFileProvider implements Runnable {
  private readonly mcm: MultiClusterManager;
  private readonly options: KubeconfigFileProviderOptions;
  private readonly known = new Map<string, string>();

  constructor(mcm: MultiClusterManager, options: KubeconfigFileProviderOptions) {
    this.mcm = mcm;
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
        await this.mcm.removeCluster(name);
      }
    }
    const failed: string[] = [];
    for (const [name, fingerprint] of wanted) {
      const previous = this.known.get(name);
      if (previous === fingerprint) continue;
      // Recorded only once added: a context whose add failed is tried again at the next read; a replace is a remove
      // and an add, so it is forgotten in between.
      this.known.delete(name);
      try {
        const single = singleContext(kc, name);
        if (previous === undefined) await this.mcm.addCluster(name, single, { waitForSync: false });
        else await this.mcm.replaceCluster(name, single, { waitForSync: false });
        this.known.set(name, fingerprint);
      } catch (err) {
        failed.push(`${name}: ${(err as Error).message}`);
      }
    }
    if (failed.length) throw new Error(`could not add every context (retried at the next read): ${failed.join("; ")}`);
  }

  async start(signal: AbortSignal): Promise<void> {
    const log = this.mcm.manager.log.child({ provider: "kubeconfig-file" });
    while (!signal.aborted) {
      try {
        await this.sync();
      } catch (err) {
        log.error({ err, path: this.options.path }, "could not bring the clusters in line with the kubeconfig file; trying again at the next read");
      }
      await delay(this.options.pollIntervalMs ?? 10_000, undefined, { signal: signal }).catch(() => undefined);
    }
  }
}
