import { type RESTMapping, resourcePath } from "../client/restmapper.ts";
import { ApiError, type Status } from "../client/errors.ts";

/** Where a failed request went: the fake names its errors after the request the real client would have made. */
export interface FakeRequest {
  method: string;
  path: string;
}

type Resource = Pick<RESTMapping, "group" | "resource"> & Partial<RESTMapping>;

/** "configmaps", "deployments.apps": how the API server names a resource in its messages. */
function qualifiedResource(m: Resource): string {
  return m.group ? `${m.resource}.${m.group}` : m.resource;
}

function qualifiedKind(m: Resource): string {
  return m.group ? `${m.kind ?? m.resource}.${m.group}` : (m.kind ?? m.resource);
}

/** The server leaves an empty group out of an error's details. */
function groupOf(m: Resource): { group?: string } {
  return m.group ? { group: m.group } : {};
}

function requestOf(m: Resource, name: string, request: FakeRequest | undefined): FakeRequest {
  if (request) return request;
  const path = m.version !== undefined && m.kind !== undefined && m.namespaced !== undefined
    ? resourcePath(m as RESTMapping, undefined, name)
    : `${qualifiedResource(m)}/${name}`;
  return { method: "FAKE", path };
}

function statusError(request: FakeRequest, status: Status & { code: number }): ApiError {
  return new ApiError(request.method, request.path, status.code, { kind: "Status", apiVersion: "v1", status: "Failure", ...status });
}

export function newNotFound(m: Resource, name: string, request?: FakeRequest): ApiError {
  return statusError(requestOf(m, name, request), {
    code: 404,
    reason: "NotFound",
    message: `${qualifiedResource(m)} "${name}" not found`,
    details: { name, ...groupOf(m), kind: m.resource },
  });
}

export function newAlreadyExists(m: Resource, name: string, request?: FakeRequest): ApiError {
  return statusError(requestOf(m, name, request), {
    code: 409,
    reason: "AlreadyExists",
    message: `${qualifiedResource(m)} "${name}" already exists`,
    details: { name, ...groupOf(m), kind: m.resource },
  });
}

export const MODIFIED = "the object has been modified; please apply your changes to the latest version and try again";

export function newConflict(m: Resource, name: string, cause: string = MODIFIED, request?: FakeRequest): ApiError {
  return statusError(requestOf(m, name, request), {
    code: 409,
    reason: "Conflict",
    message: `Operation cannot be fulfilled on ${qualifiedResource(m)} "${name}": ${cause}`,
    details: { name, ...groupOf(m), kind: m.resource },
  });
}

export interface InvalidCause {
  field: string;
  message: string;
  /** FieldValueInvalid, FieldValueRequired, FieldValueForbidden... */
  reason?: string;
}

export function newInvalid(m: Resource, name: string, causes: InvalidCause[], request?: FakeRequest): ApiError {
  const text = causes.map((c) => `${c.field}: ${c.message}`).join(", ");
  return statusError(requestOf(m, name, request), {
    code: 422,
    reason: "Invalid",
    message: `${qualifiedKind(m)} "${name}" is invalid: ${causes.length > 1 ? `[${text}]` : text}`,
    details: {
      name,
      ...groupOf(m),
      kind: m.kind ?? m.resource,
      causes: causes.map((c) => ({ reason: c.reason ?? "FieldValueInvalid", message: c.message, field: c.field })),
    },
  });
}

export function newBadRequest(message: string, request: FakeRequest): ApiError {
  return statusError(request, { code: 400, reason: "BadRequest", message });
}
