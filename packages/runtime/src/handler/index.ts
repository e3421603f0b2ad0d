/**
 * Event handlers: what a watched object's create, update or delete puts on a controller's queue (the object itself, its
 * owner, or whatever a map function says). Sources call them; predicates filter before them.
 */
export type { CreateEvent, UpdateEvent, DeleteEvent, GenericEvent } from "./event.ts";
export {
  type EventHandler,
  type OwnerOptions,
  type MapFunc,
  handlerFuncs,
  enqueueRequestForObject,
  enqueueRequestForOwner,
  enqueueRequestsFromMapFunc,
} from "./enqueue.ts";
