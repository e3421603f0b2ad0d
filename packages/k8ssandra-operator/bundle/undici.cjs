"use strict";
// What the image's bundle gets for `undici` (tsup.bundle.config.ts): undici's index requires every part of undici at
// load (fetch, WebSocket, EventSource, caches, mocks), ~5 MiB of RSS in a process that uses only its connection pools
// and request API: the runtime's client (Agent, buildConnector, Dispatcher#request) and client-node's KubeConfig
// (Agent, ProxyAgent). Nothing the operator runs calls client-node's fetch users (Watch, Log, Metrics, the generated
// API clients); should one, it gets Node's own fetch (the same undici inside Node), not a second copy in the bundle.
const Dispatcher = require("undici/lib/dispatcher/dispatcher.js");

// What undici's index does to give every dispatcher request(), stream(), pipeline(), connect() and upgrade().
Object.assign(Dispatcher.prototype, require("undici/lib/api/index.js"));

module.exports = {
  Dispatcher,
  Agent: require("undici/lib/dispatcher/agent.js"),
  ProxyAgent: require("undici/lib/dispatcher/proxy-agent.js"),
  buildConnector: require("undici/lib/core/connect.js"),
  errors: require("undici/lib/core/errors.js"),
  get fetch() {
    return globalThis.fetch;
  },
};
