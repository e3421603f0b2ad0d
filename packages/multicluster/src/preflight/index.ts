/**
 * Pre-flight checks per cluster before an operator starts: the API server answers, the required CRDs are served, and
 * our identity holds the permissions it needs; a table for people and a CLI exit code for CI.
 */
export * from "./preflight.ts";
