export { type Source, type FuncSourceOptions, funcSource } from "./source.ts";
export { type InformerCache, kind } from "./kind.ts";
export { ChannelSource, channel } from "./channel.ts";
