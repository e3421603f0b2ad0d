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
