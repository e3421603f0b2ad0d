import type { KubeObject, ResourceType } from "../api/object.ts";
import { Controller, type ControllerOptions } from "../controller/index.ts";
import { enqueueRequestForObject, enqueueRequestForOwner, type EventHandler } from "../handler/index.ts";
import type { Manager } from "../manager/manager.ts";
import type { Predicate } from "../predicate/index.ts";
import { type ReconcileFunc, type Reconciler, type Request, reconcilerFrom } from "../reconcile/index.ts";
import { kind, type Source } from "../source/index.ts";
import { metadataOnly, type PartialObjectMetadata } from "../client/metadata.ts";

type AnyPredicate = Predicate<KubeObject>;

interface Watch {
  type: ResourceType;
  handler: EventHandler<KubeObject, Request>;
  predicates: AnyPredicate[];
}

export type BuilderOptions = Omit<ControllerOptions<Request>, "name" | "reconciler">;

const namesByManager = new WeakMap<Manager, Set<string>>();

/**
 * controller-runtime's builder: `controllerManagedBy(mgr).for(Memcached).owns(Deployment).complete(reconciler)`.
 * For() enqueues the object itself, Owns() enqueues the controlling owner of the owned object, Watches() takes any
 * handler, and event filters apply to every watch.
 */
export class Builder {
  private readonly mgr: Manager;
  private forType: ResourceType | undefined;
  private forPredicates: AnyPredicate[] = [];
  private readonly watchList: Watch[] = [];
  private readonly rawSources: Source<Request>[] = [];
  private readonly globalPredicates: AnyPredicate[] = [];
  private options: BuilderOptions = {};
  private name: string | undefined;

  constructor(mgr: Manager) {
    this.mgr = mgr;
  }

  for<T extends KubeObject>(type: ResourceType<T>, options: { predicates?: Predicate<T>[] } = {}): this {
    if (this.forType) throw new Error("for() may be called only once");
    this.forType = type;
    this.forPredicates = (options.predicates ?? []) as AnyPredicate[];
    return this;
  }

  /**
   * Watches objects this controller owns: events enqueue the owner of the for() kind (the controller owner by default).
   * metadataOnly: watch them through a metadata-only informer (controller-runtime's builder.OnlyMetadata); predicates
   * then see PartialObjectMetadata, and reads of the full objects must use the API reader or metadataOnly(type).
   */
  owns<T extends KubeObject>(
    type: ResourceType<T>,
    options: { metadataOnly: true; predicates?: Predicate<PartialObjectMetadata<T>>[]; onlyControllers?: boolean },
  ): this;
  owns<T extends KubeObject>(type: ResourceType<T>, options?: { metadataOnly?: false; predicates?: Predicate<T>[]; onlyControllers?: boolean }): this;
  owns(
    type: ResourceType,
    options: { predicates?: AnyPredicate[]; onlyControllers?: boolean; metadataOnly?: boolean } = {},
  ): this {
    if (!this.forType) throw new Error("owns() needs for() first: it maps owned objects to their owner of that kind");
    this.watchList.push({
      type: options.metadataOnly ? metadataOnly(type) : type,
      handler: enqueueRequestForOwner(this.forType, { onlyControllers: options.onlyControllers ?? true }) as EventHandler<KubeObject, Request>,
      predicates: options.predicates ?? [],
    });
    return this;
  }

  /** metadataOnly: as for owns(); the handler and predicates get PartialObjectMetadata. */
  watches<T extends KubeObject>(
    type: ResourceType<T>,
    handler: EventHandler<PartialObjectMetadata<T>, Request>,
    options: { metadataOnly: true; predicates?: Predicate<PartialObjectMetadata<T>>[] },
  ): this;
  watches<T extends KubeObject>(
    type: ResourceType<T>,
    handler: EventHandler<T, Request>,
    options?: { metadataOnly?: false; predicates?: Predicate<T>[] },
  ): this;
  watches(type: ResourceType, handler: EventHandler<never, Request>, options: { predicates?: AnyPredicate[]; metadataOnly?: boolean } = {}): this {
    this.watchList.push({
      type: options.metadataOnly ? metadataOnly(type) : type,
      handler: handler as unknown as EventHandler<KubeObject, Request>,
      predicates: options.predicates ?? [],
    });
    return this;
  }

  /** A source of your own (a channel, another cluster's cache), used as is: event filters do not apply to it. */
  watchesRawSource(source: Source<Request>): this {
    this.rawSources.push(source);
    return this;
  }

  withEventFilter<T extends KubeObject = KubeObject>(predicate: Predicate<T>): this {
    this.globalPredicates.push(predicate as AnyPredicate);
    return this;
  }

  withOptions(options: BuilderOptions): this {
    this.options = { ...this.options, ...options };
    return this;
  }

  named(name: string): this {
    this.name = name;
    return this;
  }

  /**
   * The name of a controller about to be built for a manager: the one given, or the for() kind's in lower case; it
   * must be DNS-1123-like and not yet taken in that manager, and is taken by this call. Other builders (the
   * multi-cluster one) call it too, so that every controller of a manager follows one rule.
   */
  static reserveName(mgr: Manager, name: string | undefined, forType: ResourceType | undefined): string {
    if (!forType && !name) throw new Error("a controller needs for() or named()");
    const chosen = name ?? forType!.kind.toLowerCase();
    if (!/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/i.test(chosen)) throw new Error(`controller name "${chosen}" must be a DNS-1123-like name`);
    const names = namesByManager.get(mgr) ?? new Set<string>();
    namesByManager.set(mgr, names);
    if (names.has(chosen)) throw new Error(`controller with name "${chosen}" already exists in this manager; use named() to give it another`);
    names.add(chosen);
    return chosen;
  }

  /** Builds the controller and adds it to the manager (started at once if the manager runs). */
  async complete(reconciler: Reconciler<Request> | ReconcileFunc<Request>): Promise<Controller<Request>> {
    const { controller, attached } = this.assemble(reconciler);
    await attached;
    await this.mgr.add(controller);
    return controller;
  }

  /** Builds the controller without adding it to the manager. */
  build(reconciler: Reconciler<Request> | ReconcileFunc<Request>): Controller<Request> {
    const { controller, attached } = this.assemble(reconciler);
    attached.catch((err: unknown) => this.mgr.log.error({ err, controller: controller.name }, "a watch could not be attached"));
    return controller;
  }

  /** The controller with its watches given to it; a controller not yet started only records them. */
  private assemble(reconciler: Reconciler<Request> | ReconcileFunc<Request>): { controller: Controller<Request>; attached: Promise<unknown> } {
    const name = Builder.reserveName(this.mgr, this.name, this.forType);
    const controller = new Controller<Request>({
      ...this.options,
      name,
      reconciler: reconcilerFrom(reconciler),
      logger: this.options.logger ?? this.mgr.log,
    });
    const cache = this.mgr.cache;
    const sources: Source<Request>[] = [];
    if (this.forType) sources.push(kind(cache, this.forType, enqueueRequestForObject(), ...this.globalPredicates, ...this.forPredicates));
    for (const w of this.watchList) sources.push(kind(cache, w.type, w.handler, ...this.globalPredicates, ...w.predicates));
    sources.push(...this.rawSources);
    return { controller, attached: Promise.all(sources.map((s) => controller.watch(s))) };
  }
}

export function controllerManagedBy(mgr: Manager): Builder {
  return new Builder(mgr);
}
