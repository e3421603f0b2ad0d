/**
 * Sources of a controller's requests: kind (an informer's events through a handler and predicates), channel, func.
 * Each starts with its controller and says when it has synced, so workers wait for a complete picture.
 */
export { type Source, type FuncSourceOptions, funcSource } from "./source.ts";
export { type InformerCache, kind } from "./kind.ts";
export { ChannelSource, channel } from "./channel.ts";
