import type { GroupVersionKind, GroupVersionResource, KubeObject } from "../api/object.ts";
import type { Status } from "../client/errors.ts";
import { createJsonPatch, type JsonPatchOperation } from "../client/json-patch.ts";

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** admission.k8s.io/v1 AdmissionRequest, as the API server sends it. */
export interface AdmissionRequest<T extends KubeObject = KubeObject> {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: UserInfo;
  /** The new object (CREATE, UPDATE, CONNECT); absent on DELETE. */
  object?: T;
  /** The existing object (UPDATE, DELETE); absent on CREATE. */
  oldObject?: T;
  dryRun?: boolean;
  options?: unknown;
}

/** admission.k8s.io/v1 AdmissionResponse. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  /** Why a request was refused: its message is what the user sees after "admission webhook ... denied the request". */
  status?: Status;
  patch?: string;
  patchType?: "JSONPatch";
  auditAnnotations?: Record<string, string>;
  warnings?: string[];
}

export interface AdmissionReview<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: "AdmissionReview";
  request?: AdmissionRequest<T>;
  response?: AdmissionResponse;
}

/** What a handler answers; the server adds the request's uid. */
export type AdmissionResult = Omit<AdmissionResponse, "uid">;

/**
 * Answers one admission request, as controller-runtime's admission.Handler. The signal aborts when the API server
 * gives up on the request (its timeoutSeconds passed); a handler that throws answers "denied" with the reason.
 */
export interface AdmissionHandler {
  handle(request: AdmissionRequest, signal: AbortSignal): Promise<AdmissionResult> | AdmissionResult;
}

export function allowed(message?: string, warnings?: string[]): AdmissionResult {
  return {
    allowed: true,
    ...(message ? { status: { code: 200, message } } : {}),
    ...(warnings?.length ? { warnings } : {}),
  };
}

/** A refusal with a reason (controller-runtime's admission.Denied): 403 Forbidden. */
export function denied(message: string, warnings?: string[]): AdmissionResult {
  return {
    allowed: false,
    status: { code: 403, reason: "Forbidden", message },
    ...(warnings?.length ? { warnings } : {}),
  };
}

/** The request could not be judged (controller-runtime's admission.Errored): bad input, a failed dependency. */
export function errored(code: number, err: unknown): AdmissionResult {
  return { allowed: false, status: { code, message: err instanceof Error ? err.message : String(err) } };
}

/** A refusal carrying an API status as is (an Invalid error with its field causes, say). */
export function deniedWithStatus(status: Status, warnings?: string[]): AdmissionResult {
  return { allowed: false, status: { ...status, code: status.code ?? 403 }, ...(warnings?.length ? { warnings } : {}) };
}

/** Allows the request with the JSON patch that turns original into mutated (controller-runtime's PatchResponseFromRaw). */
export function patchResponse(original: unknown, mutated: unknown, warnings?: string[]): AdmissionResult {
  const ops: JsonPatchOperation[] = createJsonPatch(original, mutated);
  if (!ops.length) return allowed(undefined, warnings);
  return {
    allowed: true,
    patchType: "JSONPatch",
    patch: Buffer.from(JSON.stringify(ops)).toString("base64"),
    ...(warnings?.length ? { warnings } : {}),
  };
}

/** A malformed review: the reason is in the message, which the server answers with 400. */
export class MalformedReviewError extends Error {
  override readonly name = "MalformedReviewError";
}

const REVIEW_VERSIONS = new Set(["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]);

/** Checks an AdmissionReview's shape before any handler sees it. */
export function parseAdmissionReview(body: unknown): AdmissionReview & { request: AdmissionRequest } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new MalformedReviewError("the body is not a JSON object");
  const review = body as Partial<AdmissionReview>;
  if (review.kind !== "AdmissionReview") throw new MalformedReviewError(`kind is ${JSON.stringify(review.kind)}, want "AdmissionReview"`);
  if (!REVIEW_VERSIONS.has(review.apiVersion ?? "")) {
    throw new MalformedReviewError(`apiVersion ${JSON.stringify(review.apiVersion)} is not admission.k8s.io/v1 or v1beta1`);
  }
  const request = review.request;
  if (typeof request !== "object" || request === null) throw new MalformedReviewError("the review has no request");
  if (typeof request.uid !== "string" || !request.uid) throw new MalformedReviewError("request.uid is missing");
  if (!["CREATE", "UPDATE", "DELETE", "CONNECT"].includes(request.operation)) {
    throw new MalformedReviewError(`request.operation ${JSON.stringify(request.operation)} is not CREATE, UPDATE, DELETE or CONNECT`);
  }
  return review as AdmissionReview & { request: AdmissionRequest };
}
