import type { KubeObject, Shared } from "../api/object.ts";
import type { CreateEvent, DeleteEvent, GenericEvent, UpdateEvent } from "../handler/event.ts";
import { type LabelSelector, type LabelSelectorSpec, labelMatcher } from "../labels/index.ts";

/** Filters events before they reach an EventHandler; a missing method lets its events through. */
export interface Predicate<T extends KubeObject = KubeObject> {
  create?(event: CreateEvent<T>): boolean;
  update?(event: UpdateEvent<T>): boolean;
  delete?(event: DeleteEvent<T>): boolean;
  generic?(event: GenericEvent<T>): boolean;
}

export function passesCreate<T extends KubeObject>(preds: readonly Predicate<T>[], e: CreateEvent<T>): boolean {
  for (const p of preds) if (p.create && !p.create(e)) return false;
  return true;
}

export function passesUpdate<T extends KubeObject>(preds: readonly Predicate<T>[], e: UpdateEvent<T>): boolean {
  for (const p of preds) if (p.update && !p.update(e)) return false;
  return true;
}

export function passesDelete<T extends KubeObject>(preds: readonly Predicate<T>[], e: DeleteEvent<T>): boolean {
  for (const p of preds) if (p.delete && !p.delete(e)) return false;
  return true;
}

export function passesGeneric<T extends KubeObject>(preds: readonly Predicate<T>[], e: GenericEvent<T>): boolean {
  for (const p of preds) if (p.generic && !p.generic(e)) return false;
  return true;
}

/** One filter on the object for every event type (the new object on update). */
export function predicateFuncs<T extends KubeObject = KubeObject>(filter: (obj: Shared<T>) => boolean): Predicate<T> {
  return {
    create: (e) => filter(e.object),
    update: (e) => filter(e.objectNew),
    delete: (e) => filter(e.object),
    generic: (e) => filter(e.object),
  };
}

/** Updates only when metadata.generation changed, i.e. the spec changed (status and metadata writes do not bump it). */
export function generationChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return { update: (e) => e.objectOld.metadata?.generation !== e.objectNew.metadata?.generation };
}

/** Updates only when metadata.resourceVersion changed: drops the no-op updates that periodic resyncs deliver. */
export function resourceVersionChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return { update: (e) => e.objectOld.metadata?.resourceVersion !== e.objectNew.metadata?.resourceVersion };
}

/** Updates only when the labels changed (a missing map equals an empty one). */
export function labelChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return { update: (e) => !sameStringMap(e.objectOld.metadata?.labels, e.objectNew.metadata?.labels) };
}

/** Updates only when the annotations changed (a missing map equals an empty one). */
export function annotationChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return { update: (e) => !sameStringMap(e.objectOld.metadata?.annotations, e.objectNew.metadata?.annotations) };
}

/** Passes events whose object's labels match the selector (the new object on update); throws SelectorParseError for a bad one. */
export function labelSelectorPredicate<T extends KubeObject = KubeObject>(selector: LabelSelector | LabelSelectorSpec): Predicate<T> {
  const match = labelMatcher(selector);
  return predicateFuncs<T>((obj) => match(obj.metadata?.labels));
}

function sameStringMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  const ak = a ? Object.keys(a) : [];
  const bk = b ? Object.keys(b) : [];
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!b || !Object.hasOwn(b, k) || b[k] !== a![k]) return false;
  return true;
}

/** Every predicate must pass (an empty list passes everything). */
export function and<T extends KubeObject = KubeObject>(...preds: Predicate<T>[]): Predicate<T> {
  return {
    create: (e) => passesCreate(preds, e),
    update: (e) => passesUpdate(preds, e),
    delete: (e) => passesDelete(preds, e),
    generic: (e) => passesGeneric(preds, e),
  };
}

/** Some predicate must pass (an empty list passes nothing; a predicate without the method counts as passing). */
export function or<T extends KubeObject = KubeObject>(...preds: Predicate<T>[]): Predicate<T> {
  return {
    create: (e) => preds.some((p) => !p.create || p.create(e)),
    update: (e) => preds.some((p) => !p.update || p.update(e)),
    delete: (e) => preds.some((p) => !p.delete || p.delete(e)),
    generic: (e) => preds.some((p) => !p.generic || p.generic(e)),
  };
}

/** The opposite of the predicate (a missing method, which passes, becomes one that blocks). */
export function not<T extends KubeObject = KubeObject>(pred: Predicate<T>): Predicate<T> {
  return {
    create: (e) => !(pred.create?.(e) ?? true),
    update: (e) => !(pred.update?.(e) ?? true),
    delete: (e) => !(pred.delete?.(e) ?? true),
    generic: (e) => !(pred.generic?.(e) ?? true),
  };
}
