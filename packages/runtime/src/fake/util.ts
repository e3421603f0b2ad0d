import type { KubeObject, ResourceType } from "../api/object.ts";
import { jsonClone } from "../api/json.ts";
import { isMetadataOnly, toPartialObjectMetadata } from "../client/metadata.ts";
import { type FakeRequest, newBadRequest } from "./errors.ts";

export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789";

/** An RFC 3339 timestamp in seconds, as the API server writes them. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Everything but metadata and status: what a change of bumps metadata.generation. */
export function specOf(obj: KubeObject): unknown {
  const { metadata: _m, status: _s, ...rest } = obj as KubeObject & { status?: unknown };
  return rest;
}

/** What the API server appends to a generateName: five characters that cannot spell words. */
export function randomSuffix(): string {
  let s = "";
  for (let i = 0; i < 5; i++) s += NAME_SUFFIX_CHARS[Math.floor(Math.random() * NAME_SUFFIX_CHARS.length)];
  return s;
}

export function encodeContinue(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString("base64url");
}

export function decodeContinue(token: string, request: FakeRequest): number {
  try {
    const { offset } = JSON.parse(Buffer.from(token, "base64url").toString()) as { offset: number };
    if (Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw newBadRequest(`invalid continue token "${token}"`, request);
}

export function parsePatch(data: unknown, request: FakeRequest): unknown {
  if (typeof data !== "string") return data;
  try {
    return JSON.parse(data);
  } catch {
    throw newBadRequest("the patch is not valid JSON", request);
  }
}

/** A copy of a stored object, or only its type and metadata for a metadataOnly() type, as the API server answers. */
export function readAs<T extends KubeObject>(type: ResourceType<T>, obj: KubeObject): T {
  if (!isMetadataOnly(type)) return jsonClone(obj) as T;
  return toPartialObjectMetadata(jsonClone({ metadata: obj.metadata }), type) as unknown as T;
}
