/**
 * Lease-based leader election as client-go does it: acquire the Lease, renew it before renewDeadline, give it up on
 * stop. The manager starts leader-only runnables while it leads and stops when leadership is lost.
 */
export * from "./leader-elector.ts";
