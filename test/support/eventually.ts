// The test kit's own, shipped from @operator-ts/runtime/envtest; re-exported for the tests that import it from here.
export { eventually, waitFor } from "@operator-ts/runtime/envtest";
