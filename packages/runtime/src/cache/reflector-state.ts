/**
 * The reflector's decisions as a pure state machine (as kube-rs' watcher is one): what to ask the API server next,
 * and what a failure means. The reflector does the I/O and classifies failures; these functions decide, so that every
 * transition is tested without a server.
 */

export interface ReflectorState {
  /** True from the start and after a 410 until a complete list has arrived. */
  readonly needList: boolean;
  /** Whether the API server streams lists (sendInitialEvents); undefined until tried, false once refused or off. */
  readonly watchList: boolean | undefined;
  /** Whether a complete list ever arrived (the next one is not the initial sync then). */
  readonly listed: boolean;
  /** When the watch's resourceVersion was last found gone (ms since the epoch; 0 for never). */
  readonly lastGoneAt: number;
}

/** What a reflector does next: stream the list through a watch, page a list then watch, or just watch. */
export type ReflectorStep = "stream" | "list" | "watch";

/** A failed list or watch, as the reflector classifies it. */
export type ReflectorFailure = "streaming unsupported" | "gone" | "other";

export type FailureDecision =
  /** Page lists from now on and go on at once. */
  | { action: "page lists"; state: ReflectorState }
  /** The resourceVersion is gone: list again, at once unless the last relist was just as short-lived. */
  | { action: "relist"; pause: boolean; state: ReflectorState }
  /** Back off and try again; `listing` says which request failed. */
  | { action: "retry"; listing: boolean; state: ReflectorState };

/** A relist this soon after the previous one means the server needs a rest before the next. */
export const RAPID_RELIST_MS = 5000;

export function initialReflectorState(streamingLists: boolean): ReflectorState {
  return { needList: true, watchList: streamingLists ? undefined : false, listed: false, lastGoneAt: 0 };
}

/** A run (re)starts with a list, whatever was seen before. */
export function startRun(state: ReflectorState): ReflectorState {
  return { ...state, needList: true };
}

export function nextStep(state: ReflectorState): ReflectorStep {
  if (!state.needList) return "watch";
  // The list streams through a watch that goes on as the watch: one request, from the watch cache.
  return state.watchList !== false ? "stream" : "list";
}

/** A complete list arrived (paged or streamed); `first` says whether it is the initial sync. */
export function listArrived(state: ReflectorState): { state: ReflectorState; first: boolean } {
  return { state: { ...state, needList: false, listed: true }, first: !state.listed };
}

export function failed(state: ReflectorState, failure: ReflectorFailure, now: number): FailureDecision {
  // Still listing if no complete list arrived since the last one was asked for (a streamed list sets it midway).
  const listing = state.needList;
  if (listing && state.watchList !== false && failure === "streaming unsupported") {
    return { action: "page lists", state: { ...state, watchList: false } };
  }
  if (!listing && failure === "gone") {
    return { action: "relist", pause: now - state.lastGoneAt < RAPID_RELIST_MS, state: { ...state, needList: true, lastGoneAt: now } };
  }
  return { action: "retry", listing, state };
}
