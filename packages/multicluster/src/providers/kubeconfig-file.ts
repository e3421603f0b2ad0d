import { readFile } from "node:fs/promises";
import { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "@operator-ts/runtime";
import { EngagedSet, pollWithBackoff, type Wanted } from "./engaged-set.ts";
import { type ClusterAware, type ClusterProvider, contextFingerprint, providerLogger } from "./provider.ts";

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
  private readonly engaged: EngagedSet;

  constructor(aware: ClusterAware, options: KubeconfigFileProviderOptions) {
    this.aware = aware;
    this.options = options;
    this.engaged = new EngagedSet(aware);
  }

  needLeaderElection(): boolean {
    return false;
  }

  /** Reads the file once and brings the clusters in line with it. */
  async sync(): Promise<void> {
    const kc = new KubeConfig();
    kc.loadFromString(await readFile(this.options.path, "utf8"));
    const exclude = new Set(this.options.exclude ?? []);
    const wanted = new Map<string, Wanted>();
    for (const ctx of kc.getContexts()) {
      if (exclude.has(ctx.name) || (this.options.include && !this.options.include(ctx.name))) continue;
      wanted.set(ctx.name, { fingerprint: contextFingerprint(kc, ctx.name), kubeconfig: () => singleContext(kc, ctx.name) });
    }
    await this.engaged.bringInLine(wanted, "context");
  }

  start(signal: AbortSignal): Promise<void> {
    const logger = providerLogger(this.aware, this.name, this.options.logger);
    return pollWithBackoff(signal, this.options.pollIntervalMs ?? 10_000, () => this.sync(), (err, retryInMs) =>
      logger.error({ err, path: this.options.path, retryInMs }, "could not bring the clusters in line with the kubeconfig file; trying again"),
    );
  }
}
