/**
 * Real kube-apiserver and etcd on loopback for tests, and waiting helpers.
 *
 * @module @operator-ts/runtime/envtest
 */
export * from "../../packages/runtime/src/envtest/index.ts";
