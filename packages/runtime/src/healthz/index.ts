/**
 * Health and readiness checks, as controller-runtime's healthz: named checkers behind /healthz and /readyz on the
 * manager's probe server, each failing with a reason, ?verbose listing every check.
 */
export * from "./checks.ts";
