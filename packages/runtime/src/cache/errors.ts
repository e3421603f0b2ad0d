import { type RESTMapping, resourcePath } from "../client/restmapper.ts";
import { ApiError } from "../client/errors.ts";

/** The NotFound a cached get throws: the same ApiError the API server's answer would give, so isNotFound() works. */
export function notFound(mapping: RESTMapping, namespace: string | undefined, name: string): ApiError {
  const resource = mapping.group ? `${mapping.resource}.${mapping.group}` : mapping.resource;
  return new ApiError("GET", resourcePath(mapping, namespace, name), 404, {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    reason: "NotFound",
    code: 404,
    message: `${resource} "${name}" not found`,
    details: { name, group: mapping.group, kind: mapping.resource },
  });
}

/** A list by a field that has no index: cached lists can only select fields through indexes (see Cache.indexField). */
export class MissingIndexError extends Error {
  override readonly name = "MissingIndexError";
  readonly field: string;
  constructor(kind: string, field: string) {
    super(`cannot select ${kind} by field "${field}": no index for it (add one with indexField)`);
    this.field = field;
  }
}
