import type { reconcile, workqueue } from "@operator-ts/runtime";
import type { ClusterRequest } from "./reconcile.ts";

type Queue<T> = workqueue.RateLimitingWorkQueue<T>;

/**
 * A view of the shared ClusterRequest queue as a single-cluster Request queue that stamps every request with one
 * cluster's name. It lets every single-cluster EventHandler of the runtime work unchanged in a multi-cluster controller.
 */
export class ClusterStampedQueue implements Queue<reconcile.Request> {
  private readonly queue: Queue<ClusterRequest>;
  readonly cluster: string;

  constructor(queue: Queue<ClusterRequest>, cluster: string) {
    this.queue = queue;
    this.cluster = cluster;
  }

  private stamp(req: reconcile.Request): ClusterRequest {
    return { ...req, cluster: this.cluster };
  }

  add(item: reconcile.Request): void {
    this.queue.add(this.stamp(item));
  }

  addAfter(item: reconcile.Request, ms: number): void {
    this.queue.addAfter(this.stamp(item), ms);
  }

  addRateLimited(item: reconcile.Request): void {
    this.queue.addRateLimited(this.stamp(item));
  }

  forget(item: reconcile.Request): void {
    this.queue.forget(this.stamp(item));
  }

  numRequeues(item: reconcile.Request): number {
    return this.queue.numRequeues(this.stamp(item));
  }

  len(): number {
    return this.queue.len();
  }

  get(): Promise<reconcile.Request | undefined> {
    throw new Error("a cluster-stamped queue only accepts work; workers read the shared queue");
  }

  done(item: reconcile.Request): void {
    this.queue.done(this.stamp(item));
  }

  shutDown(): void {
    this.queue.shutDown();
  }

  shutDownWithDrain(): Promise<void> {
    return this.queue.shutDownWithDrain();
  }

  shuttingDown(): boolean {
    return this.queue.shuttingDown();
  }
}
