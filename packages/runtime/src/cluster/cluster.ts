import { KubeConfig } from "@kubernetes/client-node";
import type { ResourceType } from "../api/object.ts";
import { RESTMapper } from "../client/restmapper.ts";
import { InformerCache } from "../cache/index.ts";
import type { Cache, CacheOptions } from "../cache/interfaces.ts";
import { newClient, RestClient } from "../client/index.ts";
import type { Client, Reader } from "../client/interfaces.ts";
import { RestTransport } from "../client/transport.ts";
import { getLogger, type Logger } from "../log/index.ts";
import { EventBroadcaster, type EventRecorder } from "../recorder/index.ts";
import type { Runnable } from "../runnable/index.ts";

export interface ClusterOptions {
  /** Defaults to the kubeconfig's current context name. */
  name?: string;
  cache?: CacheOptions;
  /** Kinds read straight from the API server instead of the cache. */
  uncached?: ResourceType[];
  /** fieldManager for writes that do not set one. */
  fieldManager?: string;
  userAgent?: string;
  /** Connections in the pool to this API server. */
  connections?: number;
  /** How often credentials and TLS files are read again; default 60 s (see TransportOptions). */
  credentialRefreshMs?: number;
  logger?: Logger;
}

/**
 * One API server, as a controller sees it: a shared informer cache, a client that reads from it and writes to the
 * server, an uncached reader, a REST mapper from discovery and an Event recorder. It is a Runnable: its cache runs
 * while it is started, and stopping it releases its informers, timers and sockets.
 */
export class Cluster implements Runnable {
  readonly name: string;
  readonly transport: RestTransport;
  readonly mapper: RESTMapper;
  readonly cache: Cache;
  readonly client: Client;
  /** Reads that bypass the cache: for objects the cache does not watch, or when freshness matters. */
  readonly apiReader: Reader;
  readonly log: Logger;
  private readonly broadcaster: EventBroadcaster;
  private readonly informers: InformerCache;
  private currentKubeconfig: KubeConfig;

  private constructor(kubeconfig: KubeConfig, transport: RestTransport, options: ClusterOptions) {
    this.name = options.name ?? kubeconfig.getCurrentContext();
    this.currentKubeconfig = kubeconfig;
    this.transport = transport;
    this.log = options.logger ?? getLogger().child({ cluster: this.name || undefined });
    this.mapper = new RESTMapper(transport);
    this.informers = new InformerCache(transport, this.mapper, options.cache);
    this.cache = this.informers;
    const writer = new RestClient(transport, { mapper: this.mapper, fieldManager: options.fieldManager });
    this.apiReader = writer;
    this.client = newClient({ reader: this.cache, writer, uncached: options.uncached });
    this.broadcaster = new EventBroadcaster(transport, { log: this.log.child({ component: "events" }) });
  }

  static async create(kubeconfig: KubeConfig, options: ClusterOptions = {}): Promise<Cluster> {
    const transport = await RestTransport.fromKubeConfig(kubeconfig, {
      userAgent: options.userAgent,
      connections: options.connections,
      credentialRefreshMs: options.credentialRefreshMs,
    });
    return new Cluster(kubeconfig, transport, options);
  }

  /** A cluster from the default kubeconfig ($KUBECONFIG, ~/.kube/config, or in-cluster), optionally another context. */
  static async fromDefault(options: ClusterOptions & { context?: string } = {}): Promise<Cluster> {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    if (options.context) kc.setCurrentContext(options.context);
    return Cluster.create(kc, options);
  }

  /** The kubeconfig in use: the one created with, or the last given to updateCredentials(). */
  get kubeconfig(): KubeConfig {
    return this.currentKubeconfig;
  }

  /**
   * Swaps the credential in place (a renewed token, a rotated certificate) for the same server: caches, informers and
   * their watches are kept, so nothing is listed again. Refused for a kubeconfig naming another server.
   */
  async updateCredentials(kubeconfig: KubeConfig): Promise<void> {
    await this.transport.setKubeConfig(kubeconfig);
    this.currentKubeconfig = kubeconfig;
  }

  getCache(): Cache {
    return this.cache;
  }

  getEventRecorderFor(component: string): EventRecorder {
    return this.broadcaster.recorderFor(component);
  }

  needLeaderElection(): boolean {
    return false;
  }

  waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    return this.cache.waitForCacheSync(signal);
  }

  /** The API server answers again (a health probe passed): informers retry now instead of waiting out their backoff. */
  retryNow(): void {
    this.informers.retryNow();
  }

  async start(signal: AbortSignal): Promise<void> {
    try {
      await this.cache.start(signal);
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    } finally {
      await this.broadcaster.close();
      await this.transport.destroy();
    }
  }
}
