import type { KubeObject, Shared } from "../api/object.ts";

/** An object appeared: created, or listed when the informer (or this handler) started. */
export interface CreateEvent<T extends KubeObject = KubeObject> {
  object: Shared<T>;
  /** The object was in the informer's initial list (or the replay a late handler gets), not newly created. */
  isInInitialList: boolean;
}

export interface UpdateEvent<T extends KubeObject = KubeObject> {
  objectOld: Shared<T>;
  objectNew: Shared<T>;
}

export interface DeleteEvent<T extends KubeObject = KubeObject> {
  object: Shared<T>;
  /** The delete was missed and a relist found the object gone: `object` is its last known state. */
  deleteStateUnknown: boolean;
}

/** An event from outside the cluster's watches (a channel source, a timer, another system). */
export interface GenericEvent<T extends KubeObject = KubeObject> {
  object: Shared<T>;
}
