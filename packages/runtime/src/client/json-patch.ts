import type { KubeObject } from "../api/object.ts";
import { type Patch } from "./interfaces.ts";
import { jsonClone, jsonEqual, isPlainObject } from "../api/json.ts";

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

/** A JSON patch that cannot be applied: a failed test, a missing path, an unknown op. */
export class JsonPatchError extends Error {
  override readonly name = "JsonPatchError";
}

/** RFC 7386: returns the patched value; neither argument is modified. */
export function applyMergePatch<T = unknown>(target: unknown, patch: unknown): T {
  if (!isPlainObject(patch)) return jsonClone(patch) as T;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (value !== undefined) result[key] = applyMergePatch(result[key], value);
  }
  return result as T;
}

/**
 * The RFC 7386 merge patch that turns original into modified, or undefined when they are equal. Arrays are replaced
 * whole, as merge patches do; a property removed in modified becomes null.
 */
export function createMergePatch(original: unknown, modified: unknown): unknown {
  if (jsonEqual(original, modified)) return undefined;
  if (!isPlainObject(original) || !isPlainObject(modified)) return modified === undefined ? null : jsonClone(modified);
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(modified)) {
    if (value === undefined) continue;
    const sub = createMergePatch(original[key], value);
    if (sub !== undefined) patch[key] = sub;
  }
  for (const [key, value] of Object.entries(original)) {
    if (value !== undefined && modified[key] === undefined) patch[key] = null;
  }
  return patch;
}

/**
 * A merge patch from original to modified, like controller-runtime's client.MergeFrom. With optimisticLock the patch
 * carries modified's resourceVersion, so the server answers Conflict if the object changed since it was read.
 */
export function mergeFrom<T extends KubeObject>(original: T, modified: T, options: { optimisticLock?: boolean } = {}): Patch {
  const data = (createMergePatch(original, modified) ?? {}) as Record<string, unknown>;
  if (options.optimisticLock) {
    const rv = modified.metadata?.resourceVersion ?? original.metadata?.resourceVersion;
    if (!rv) throw new Error("mergeFrom with optimisticLock needs metadata.resourceVersion");
    data.metadata = { ...(data.metadata as Record<string, unknown> | undefined), resourceVersion: rv };
  }
  return { type: "merge", data };
}

/** A JSON pointer token: "~" and "/" escaped as RFC 6901 says. */
function escapeToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * The RFC 6902 operations that turn original into modified (empty when they are equal), as a mutating admission
 * webhook answers. Objects are compared key by key; an array that differs is replaced whole, which every API server
 * applies the same way whatever happened inside it.
 */
export function createJsonPatch(original: unknown, modified: unknown, path = ""): JsonPatchOperation[] {
  if (jsonEqual(original, modified)) return [];
  if (!isPlainObject(original) || !isPlainObject(modified)) return [{ op: "replace", path, value: jsonClone(modified) }];
  const ops: JsonPatchOperation[] = [];
  for (const [key, value] of Object.entries(original)) {
    if (value !== undefined && modified[key] === undefined) ops.push({ op: "remove", path: `${path}/${escapeToken(key)}` });
  }
  for (const [key, value] of Object.entries(modified)) {
    if (value === undefined) continue;
    const at = `${path}/${escapeToken(key)}`;
    if (original[key] === undefined) ops.push({ op: "add", path: at, value: jsonClone(value) });
    else ops.push(...createJsonPatch(original[key], value, at));
  }
  return ops;
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new JsonPatchError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number {
  if (allowEnd && token === "-") return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new JsonPatchError(`invalid array index "${token}"`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) throw new JsonPatchError(`array index ${index} out of bounds`);
  return index;
}

type Container = Record<string, unknown> | unknown[];

/** The container holding the pointer's last token, which must exist. */
function parentOf(doc: unknown, tokens: string[], pointer: string): Container {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false)];
    else if (isPlainObject(node) && Object.hasOwn(node, token)) node = node[token];
    else throw new JsonPatchError(`path "${pointer}" does not exist`);
  }
  if (!Array.isArray(node) && !isPlainObject(node)) throw new JsonPatchError(`path "${pointer}" does not exist`);
  return node;
}

function getAt(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (!tokens.length) return doc;
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false)];
  if (!Object.hasOwn(parent, last)) throw new JsonPatchError(`path "${pointer}" does not exist`);
  return parent[last];
}

/** Returns the new document: a root replacement yields the value itself. */
function addAt(doc: unknown, pointer: string, value: unknown, replace: boolean): unknown {
  const tokens = parsePointer(pointer);
  if (!tokens.length) return value;
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const index = arrayIndex(last, parent.length, !replace);
    parent.splice(index, replace ? 1 : 0, value);
  } else {
    if (replace && !Object.hasOwn(parent, last)) throw new JsonPatchError(`path "${pointer}" does not exist`);
    parent[last] = value;
  }
  return doc;
}

function removeAt(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (!tokens.length) throw new JsonPatchError("cannot remove the whole document");
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length, false), 1);
  } else {
    if (!Object.hasOwn(parent, last)) throw new JsonPatchError(`path "${pointer}" does not exist`);
    delete parent[last];
  }
  return doc;
}

/** RFC 6902: applies every operation or none (the input is never modified); throws JsonPatchError. */
export function applyJsonPatch<T = unknown>(document: unknown, operations: JsonPatchOperation[]): T {
  if (!Array.isArray(operations)) throw new JsonPatchError("a JSON patch is an array of operations");
  let doc = jsonClone(document);
  for (const op of operations) {
    if (typeof op?.path !== "string") throw new JsonPatchError(`operation ${JSON.stringify(op)} has no path`);
    // RFC 6902 requires the member; without this check a missing value would write undefined into the document.
    if ((op.op === "add" || op.op === "replace" || op.op === "test") && !Object.hasOwn(op, "value")) {
      throw new JsonPatchError(`${op.op} operation on "${op.path}" has no value`);
    }
    switch (op.op) {
      case "add":
        doc = addAt(doc, op.path, jsonClone(op.value), false);
        break;
      case "replace":
        doc = addAt(doc, op.path, jsonClone(op.value), true);
        break;
      case "remove":
        doc = removeAt(doc, op.path);
        break;
      case "test":
        if (!jsonEqual(getAt(doc, op.path), op.value)) {
          throw new JsonPatchError(`test of "${op.path}" failed: value differs from ${JSON.stringify(op.value)}`);
        }
        break;
      case "move":
      case "copy": {
        if (typeof op.from !== "string") throw new JsonPatchError(`${op.op} operation has no from`);
        if (op.op === "move" && op.path.startsWith(`${op.from}/`)) {
          throw new JsonPatchError(`cannot move "${op.from}" into its own child "${op.path}"`);
        }
        const value = jsonClone(getAt(doc, op.from));
        if (op.op === "move") doc = removeAt(doc, op.from);
        doc = addAt(doc, op.path, value, false);
        break;
      }
      default:
        throw new JsonPatchError(`unknown JSON patch operation "${String(op.op)}"`);
    }
  }
  return doc as T;
}
