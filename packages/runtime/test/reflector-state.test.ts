import { describe, expect, it } from "vitest";
import {
  failed,
  initialReflectorState,
  listArrived,
  nextStep,
  RAPID_RELIST_MS,
  type ReflectorState,
  startRun,
} from "../src/cache/reflector-state.ts";

// The reflector's transitions, driven without a server: what it asks for next, and what each failure leads to.

const listedAndWatching = (overrides: Partial<ReflectorState> = {}): ReflectorState => ({
  ...listArrived(initialReflectorState(false)).state,
  ...overrides,
});

describe("reflector state", () => {
  it("starts with a paged list, or a streamed one when streaming lists are asked for", () => {
    expect(nextStep(initialReflectorState(false))).toBe("list");
    expect(nextStep(initialReflectorState(true))).toBe("stream");
    expect(initialReflectorState(true)).toEqual({ needList: true, watchList: undefined, listed: false, lastGoneAt: 0 });
  });

  it("watches once a list arrived; the first list is the initial sync, later ones are not", () => {
    const first = listArrived(initialReflectorState(false));
    expect(first.first).toBe(true);
    expect(nextStep(first.state)).toBe("watch");
    const again = listArrived(startRun(first.state));
    expect(again.first).toBe(false);
  });

  it("lists again when a run restarts", () => {
    expect(nextStep(startRun(listedAndWatching()))).toBe("list");
  });

  it("falls back to paged lists for good when streaming is unsupported while listing", () => {
    const decision = failed(initialReflectorState(true), "streaming unsupported", 1000);
    expect(decision.action).toBe("page lists");
    expect(decision.state.watchList).toBe(false);
    expect(nextStep(decision.state)).toBe("list");
  });

  it("retries (with backoff) a rejected watch that was not a streamed list", () => {
    const watching = listedAndWatching({ watchList: undefined });
    expect(failed(watching, "streaming unsupported", 1000)).toEqual({ action: "retry", listing: false, state: watching });
    const paging = initialReflectorState(false);
    expect(failed(paging, "streaming unsupported", 1000)).toEqual({ action: "retry", listing: true, state: paging });
  });

  it("relists at once when a watch's resourceVersion is gone, and pauses when that happens again soon", () => {
    const first = failed(listedAndWatching(), "gone", 100_000);
    expect(first).toMatchObject({ action: "relist", pause: false });
    expect(first.state).toMatchObject({ needList: true, lastGoneAt: 100_000 });
    expect(nextStep(first.state)).toBe("list");
    const relisted = listArrived(first.state).state;
    expect(failed(relisted, "gone", 100_000 + RAPID_RELIST_MS - 1)).toMatchObject({ action: "relist", pause: true });
    expect(failed(relisted, "gone", 100_000 + RAPID_RELIST_MS)).toMatchObject({ action: "relist", pause: false });
  });

  it("retries a list that failed, even with 410 Gone, without relisting anew", () => {
    const listing = initialReflectorState(false);
    expect(failed(listing, "gone", 1000)).toEqual({ action: "retry", listing: true, state: listing });
    expect(failed(listing, "other", 1000)).toEqual({ action: "retry", listing: true, state: listing });
    expect(failed(listedAndWatching(), "other", 1000)).toMatchObject({ action: "retry", listing: false });
  });
});
