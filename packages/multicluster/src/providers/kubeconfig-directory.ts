import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "@operator-ts/runtime";
import { EngagedSet, pollWithBackoff, type Wanted } from "./engaged-set.ts";
import { type ClusterAware, type ClusterProvider, contextFingerprint, providerLogger } from "./provider.ts";

export interface KubeconfigDirectoryProviderOptions {
  /** The folder: each file in it is one cluster's kubeconfig, e.g. a mounted Secret with one key per cluster. */
  path: string;
  /** How often the folder is read again; default 10 s. */
  pollIntervalMs?: number;
  /** Default: the manager's logger when given a manager, else the process's. */
  logger?: Logger;
}

/** The cluster a file stands for: its name without a kubeconfig-like extension. */
export function clusterNameOfFile(file: string): string {
  return file.replace(/\.(ya?ml|json|conf|kubeconfig)$/, "");
}

/**
 * One cluster per file of a folder, named after the file, through the file's current context. The folder is read
 * again now and then: new files are engaged, changed ones again (only them), removed ones disengaged. Hidden entries
 * are skipped (a mounted Secret's `..data` and its timestamped folders). A file that holds no usable kubeconfig (one
 * half written, say) is reported, never quoted, and leaves its cluster as it was until it is fixed or removed.
 */
export class KubeconfigDirectoryProvider implements ClusterProvider {
  readonly name = "kubeconfig-directory";
  private readonly aware: ClusterAware;
  private readonly options: KubeconfigDirectoryProviderOptions;
  private readonly engaged: EngagedSet;

  constructor(aware: ClusterAware, options: KubeconfigDirectoryProviderOptions) {
    this.aware = aware;
    this.options = options;
    this.engaged = new EngagedSet(aware);
  }

  needLeaderElection(): boolean {
    return false;
  }

  /** Reads the folder once and brings the clusters in line with it. */
  async sync(): Promise<void> {
    const wanted = new Map<string, Wanted>();
    const unusable: string[] = [];
    for (const file of (await readdir(this.options.path)).sort()) {
      if (file.startsWith(".")) continue;
      const path = join(this.options.path, file);
      // stat, not the entry's type: a mounted Secret's files are symlinks.
      if (!(await stat(path).catch(() => undefined))?.isFile()) continue;
      const name = clusterNameOfFile(file);
      const kubeconfig = new KubeConfig();
      try {
        kubeconfig.loadFromString(await readFile(path, "utf8"));
        if (!kubeconfig.getCurrentCluster()?.server) throw new Error("no current cluster");
      } catch {
        // The parser's message may quote the file, credentials and all: say only which file.
        unusable.push(`${name}: file ${file} does not hold a kubeconfig with a current cluster`);
        const engagedWith = this.engaged.fingerprint(name);
        if (engagedWith !== undefined) wanted.set(name, { fingerprint: engagedWith, kubeconfig: () => kubeconfig });
        continue;
      }
      if (wanted.has(name)) {
        unusable.push(`${name}: file ${file} names a cluster another file already does`);
        continue;
      }
      wanted.set(name, { fingerprint: contextFingerprint(kubeconfig), kubeconfig: () => kubeconfig });
    }
    let failed: Error | undefined;
    await this.engaged.bringInLine(wanted, "file's cluster").catch((err: Error) => (failed = err));
    if (unusable.length || failed) {
      throw new Error([failed?.message, unusable.length ? `unusable files (read again at the next read): ${unusable.join("; ")}` : ""].filter(Boolean).join("; "));
    }
  }

  start(signal: AbortSignal): Promise<void> {
    const logger = providerLogger(this.aware, this.name, this.options.logger);
    return pollWithBackoff(signal, this.options.pollIntervalMs ?? 10_000, () => this.sync(), (err, retryInMs) =>
      logger.error({ err, path: this.options.path, retryInMs }, "could not bring the clusters in line with the kubeconfig folder; trying again"),
    );
  }
}
