import { type Request, requestKey } from "../../src/reconcile/index.ts";
import type { RateLimitingQueue } from "../../src/workqueue/index.ts";

/** Everything queued, as keys in queue order. */
export async function drain(q: RateLimitingQueue<Request>): Promise<string[]> {
  const out: string[] = [];
  while (q.len() > 0) {
    const r = (await q.get())!;
    out.push(requestKey(r));
    q.done(r);
  }
  return out;
}
