export { registry, restClientRequests } from "./registry.ts";
