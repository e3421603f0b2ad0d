import { ApiError, type RestTransport, type WriteGate } from "@operator-ts/runtime";

/** The UID of a cluster's kube-system namespace: made when the cluster was made, the same for its whole life. */
export async function readClusterIdentity(transport: RestTransport, signal?: AbortSignal): Promise<string> {
  const ns = await transport.request<{ metadata?: { uid?: string } }>("GET", "/api/v1/namespaces/kube-system", {
    signal: AbortSignal.any([...(signal ? [signal] : []), AbortSignal.timeout(5000)]),
    timeoutMs: 5000,
  });
  const uid = ns?.metadata?.uid;
  if (!uid) throw new Error("the kube-system namespace has no uid");
  return uid;
}

/** A write refused because the server at the cluster's address is not the cluster it was. */
export class ClusterIdentityError extends Error {
  override readonly name = "ClusterIdentityError";
  readonly cluster: string;
  readonly expected: string;
  readonly found: string;
  constructor(cluster: string, expected: string, found: string) {
    super(`cluster "${cluster}" answers as another cluster (kube-system uid ${found}, recorded ${expected}): nothing is written there until a person confirms`);
    this.cluster = cluster;
    this.expected = expected;
    this.found = found;
  }
}

/** A write asked for on a connection whose server was not checked yet: retried once the check ran. */
export class ClusterIdentityUnverifiedError extends Error {
  override readonly name = "ClusterIdentityUnverifiedError";
  constructor(cluster: string) {
    super(`cluster "${cluster}" reconnected and its identity is being checked; retry the write`);
  }
}

/**
 * Guards writes to one cluster by its identity: after every reconnect (a connection made while none was open: the
 * server behind the address may have been replaced) writes wait until the kube-system UID was read again, and are
 * refused for good once it differs from the expected one. With no expected UID (first contact) the first one
 * read is taken and told to onIdentity.
 */
export class IdentityGate implements WriteGate {
  private readonly cluster: string;
  private readonly transport: RestTransport;
  private expected: string | undefined;
  private readonly onMismatch: (found: string) => void;
  private readonly onIdentity: (uid: string) => void;
  private readonly onUncheckable: ((why: string) => void) | undefined;
  /** Counts reconnects; the identity was last read over the connections of verifiedEpoch. */
  private epoch = 0;
  private verifiedEpoch = -1;
  private verifying: Promise<void> | undefined;
  private mismatch: ClusterIdentityError | undefined;
  private readonly unsubscribe: () => void;

  constructor(options: {
    cluster: string;
    transport: RestTransport;
    expected: string | undefined;
    onMismatch: (found: string) => void;
    onIdentity: (uid: string) => void;
    onUncheckable?: (why: string) => void;
  }) {
    this.cluster = options.cluster;
    this.transport = options.transport;
    this.expected = options.expected;
    this.onMismatch = options.onMismatch;
    this.onIdentity = options.onIdentity;
    this.onUncheckable = options.onUncheckable;
    this.unsubscribe = this.transport.onReconnect(() => {
      this.epoch++;
      // A reconnect after the cluster was known is checked at once, not only when the next write comes, so that a
      // replaced cluster is reported even while nothing is written.
      if (this.verifiedEpoch >= 0 && !this.verifying) queueMicrotask(() => void this.verify().catch(() => undefined));
    });
    this.transport.setWriteGate(this);
  }

  /** Whether the server was seen to be another cluster: writes are refused until the gate is replaced. */
  get mismatched(): ClusterIdentityError | undefined {
    return this.mismatch;
  }

  /** Reads the identity now and compares it. */
  verify(signal?: AbortSignal): Promise<void> {
    if (this.mismatch) return Promise.reject(this.mismatch);
    this.verifying ??= (async () => {
      let found: string;
      try {
        found = await readClusterIdentity(this.transport, signal);
      } catch (err) {
        // An identity that may not read kube-system (a kubeconfig made by hand with less) cannot be checked: its
        // writes go on as before identities were checked, and the provider says so once.
        if (err instanceof ApiError && (err.code === 403 || err.code === 404)) {
          this.verifiedEpoch = this.epoch;
          this.onUncheckable?.(err.message);
          return;
        }
        throw err;
      }
      // The read went over a connection made after the last reconnect, or was one: the connections of now are checked.
      const epoch = this.epoch;
      if (this.expected === undefined) {
        this.expected = found;
        this.onIdentity(found);
      }
      if (found !== this.expected) {
        this.mismatch = new ClusterIdentityError(this.cluster, this.expected, found);
        this.onMismatch(found);
        throw this.mismatch;
      }
      this.verifiedEpoch = epoch;
    })().finally(() => (this.verifying = undefined));
    return this.verifying;
  }

  async beforeWrite(signal?: AbortSignal): Promise<void> {
    if (this.mismatch) throw this.mismatch;
    // Two rounds at most: a reconnect while the first read was under way is checked too.
    for (let i = 0; i < 2 && this.verifiedEpoch !== this.epoch; i++) await this.verify(signal);
  }

  check(): Error | undefined {
    if (this.mismatch) return this.mismatch;
    if (this.verifiedEpoch !== this.epoch) return new ClusterIdentityUnverifiedError(this.cluster);
    return undefined;
  }

  /** Stops guarding: the cluster is released or another gate takes over. */
  close(): void {
    this.unsubscribe();
    this.transport.setWriteGate(undefined);
  }
}
