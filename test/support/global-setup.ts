// The test kit's ready global setup, as a user's vitest.config.ts names it: the Kubernetes binaries are built (or
// found) once, before any worker starts, so that parallel workers never race to build them and a cold machine shows
// the build's progress in one place, outside every hook's timeout.
export { default } from "@operator-ts/runtime/envtest/setup";
