/**
 * The Event recorder: Kubernetes Events about objects, aggregated as client-go's recorder does (repeats within ten
 * minutes raise one Event's count), best effort (never blocking, never throwing) and never carrying secrets.
 */
export * from "./event-recorder.ts";
