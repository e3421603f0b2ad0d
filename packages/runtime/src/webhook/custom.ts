import type { KubeObject } from "../api/object.ts";
import { ApiError, type Status } from "../client/errors.ts";
import { jsonClone } from "../api/json.ts";
import { getLogger, type Logger } from "../log/index.ts";
import { webhookPanics } from "../metrics/webhook.ts";
import {
  type AdmissionHandler,
  type AdmissionRequest,
  type AdmissionResult,
  allowed,
  denied,
  deniedWithStatus,
  patchResponse,
} from "./admission.ts";
import { type FieldError, InvalidError, invalidStatus } from "./field.ts";

/** What a defaulter or validator learns about the request besides the object (Go reads it from the context). */
export interface AdmissionContext {
  request: AdmissionRequest;
  /** Aborts when the API server stops waiting for the answer. */
  signal: AbortSignal;
}

/**
 * controller-runtime's CustomDefaulter: sets defaults on the object it is given (a copy of the request's), and the
 * framework answers with the JSON patch from the request's object to it. It may also return a replacement object.
 */
export interface CustomDefaulter<T extends KubeObject = KubeObject> {
  default(obj: T, ctx: AdmissionContext): void | T | Promise<void | T>;
}

/** Warnings are shown to the user (kubectl prints them) whether or not the request is allowed. */
export interface ValidationResult {
  warnings?: string[];
  /** Any error refuses the request with an Invalid status naming each field. */
  errors?: FieldError[];
}

type Outcome = void | ValidationResult | Promise<void | ValidationResult>;

/**
 * controller-runtime's CustomValidator: one check per operation; a missing one allows. Refuse by returning field
 * errors (or throwing InvalidError, or any error, whose message becomes the reason).
 */
export interface CustomValidator<T extends KubeObject = KubeObject> {
  validateCreate?(obj: T, ctx: AdmissionContext): Outcome;
  validateUpdate?(oldObj: T, newObj: T, ctx: AdmissionContext): Outcome;
  validateDelete?(obj: T, ctx: AdmissionContext): Outcome;
}

function statusOf(err: unknown): Status | undefined {
  if (err instanceof ApiError) return err.status;
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "object" && status !== null && typeof (status as Status).message === "string" ? (status as Status) : undefined;
}

/**
 * What a throwing defaulter or validator answers: field errors and API statuses as they are (they are meant), anything
 * else "denied" with its message, logged, and counted as controller-runtime counts a recovered panic.
 */
function refusal(err: unknown, request: AdmissionRequest, log: Logger, what: string): AdmissionResult {
  if (err instanceof InvalidError) return deniedWithStatus(invalidStatus(request.kind, nameOf(request), err.errors));
  const status = statusOf(err);
  if (status) return deniedWithStatus(status);
  webhookPanics.inc();
  const message = err instanceof Error ? err.message : String(err);
  log.error({ err: message, kind: request.kind.kind, namespace: request.namespace, name: nameOf(request), operation: request.operation }, `${what} threw`);
  return denied(message);
}

function nameOf(request: AdmissionRequest): string {
  return request.name || request.object?.metadata?.name || request.oldObject?.metadata?.name || request.object?.metadata?.generateName || "";
}

/** The admission handler of a defaulter (controller-runtime's WithCustomDefaulter). */
export function defaultingHandler<T extends KubeObject>(defaulter: CustomDefaulter<T>, options: { log?: Logger } = {}): AdmissionHandler {
  const log = options.log ?? getLogger();
  return {
    async handle(request, signal) {
      if (request.operation !== "CREATE" && request.operation !== "UPDATE") return allowed();
      if (!request.object) return denied("the request has no object to default");
      const obj = jsonClone(request.object) as T;
      try {
        const replaced = await defaulter.default(obj, { request, signal });
        return patchResponse(request.object, replaced ?? obj);
      } catch (err) {
        return refusal(err, request, log, "defaulter");
      }
    },
  };
}

/** The admission handler of a validator (controller-runtime's WithCustomValidator). */
export function validatingHandler<T extends KubeObject>(validator: CustomValidator<T>, options: { log?: Logger } = {}): AdmissionHandler {
  const log = options.log ?? getLogger();
  return {
    async handle(request, signal) {
      const ctx = { request, signal };
      let result: void | ValidationResult;
      try {
        switch (request.operation) {
          case "CREATE":
            if (!request.object) return denied("a CREATE request has no object");
            result = await validator.validateCreate?.(request.object as T, ctx);
            break;
          case "UPDATE":
            if (!request.object || !request.oldObject) return denied("an UPDATE request needs object and oldObject");
            result = await validator.validateUpdate?.(request.oldObject as T, request.object as T, ctx);
            break;
          case "DELETE":
            // The API server sends the object being deleted as oldObject.
            if (!request.oldObject) return denied("a DELETE request has no oldObject");
            result = await validator.validateDelete?.(request.oldObject as T, ctx);
            break;
          default:
            return allowed();
        }
      } catch (err) {
        return refusal(err, request, log, "validator");
      }
      const warnings = result?.warnings;
      if (result?.errors?.length) return deniedWithStatus(invalidStatus(request.kind, nameOf(request), result.errors), warnings);
      return allowed(undefined, warnings);
    },
  };
}
