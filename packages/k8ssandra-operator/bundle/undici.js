// What the image's bundle gets for `undici` (tsup.bundle.config.ts): undici's index requires every part of undici at
// load (fetch, WebSocket, EventSource, caches, mocks), ~5 MiB of RSS in a process that uses only its connection pools
// and request API: the runtime's client (Agent, buildConnector, Dispatcher#request) and client-node's KubeConfig
// (Agent, ProxyAgent). A name missing here fails the bundle's build, never a run. Nothing the operator runs calls
// client-node's fetch users (Watch, Log, Metrics, the generated API clients); should one, it gets Node's own fetch
// (the same undici inside Node), not a second copy in the bundle.
import api from "undici/lib/api/index.js";
import Dispatcher from "undici/lib/dispatcher/dispatcher.js";

// What undici's index does to give every dispatcher request(), stream(), pipeline(), connect() and upgrade().
Object.assign(Dispatcher.prototype, api);

export { default as Agent } from "undici/lib/dispatcher/agent.js";
export { default as ProxyAgent } from "undici/lib/dispatcher/proxy-agent.js";
export { default as buildConnector } from "undici/lib/core/connect.js";
export const fetch = (...args) => globalThis.fetch(...args);
