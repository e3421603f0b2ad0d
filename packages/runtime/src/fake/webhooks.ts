import { randomUUID } from "node:crypto";
import type { KubeObject, ResourceType } from "../api/object.ts";
import type { RESTMapping } from "../client/restmapper.ts";
import { ApiError } from "../client/errors.ts";
import { applyJsonPatch, type JsonPatchOperation } from "../client/json-patch.ts";
import type { AdmissionRequest, AdmissionResult } from "../webhook/admission.ts";
import { type CustomDefaulter, type CustomValidator, defaultingHandler, validatingHandler } from "../webhook/custom.ts";
import { webhookName } from "../webhook/manifests.ts";
import type { FakeRequest } from "./errors.ts";

/** A kind's defaulter and validator, which the fake client runs on writes as the API server calls their webhooks. */
export interface FakeWebhooks<T extends KubeObject = KubeObject> {
  type: ResourceType<T>;
  defaulter?: CustomDefaulter<T>;
  validator?: CustomValidator<T>;
}

interface Admission {
  mapping: RESTMapping;
  operation: "CREATE" | "UPDATE" | "DELETE";
  object: KubeObject | undefined;
  oldObject: KubeObject | undefined;
  request: FakeRequest;
  dryRun: boolean;
}

/** What the API server answers when a webhook refuses: the webhook's name, then its status message. */
function refused(result: AdmissionResult, name: string, request: FakeRequest): ApiError {
  const status = result.status ?? {};
  const code = status.code && status.code >= 400 ? status.code : 403;
  return new ApiError(request.method, request.path, code, {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    ...status,
    code,
    message: `admission webhook "${name}" denied the request: ${status.message ?? "without a reason"}`,
  });
}

/**
 * Runs the mutating then the validating handlers, the very ones the webhook server serves, on one write: returns the
 * object with the defaulter's patch applied, or throws the API server's refusal.
 */
export async function admit(hooks: FakeWebhooks[], a: Admission): Promise<KubeObject | undefined> {
  const { mapping } = a;
  const base = { group: mapping.group, version: mapping.version, kind: mapping.kind };
  const makeRequest = (object: KubeObject | undefined): AdmissionRequest => ({
    uid: randomUUID(),
    kind: base,
    resource: { group: mapping.group, version: mapping.version, resource: mapping.resource },
    operation: a.operation,
    userInfo: { username: "fake-client" },
    name: (object ?? a.oldObject)?.metadata?.name ?? "",
    ...((object ?? a.oldObject)?.metadata?.namespace ? { namespace: (object ?? a.oldObject)!.metadata!.namespace } : {}),
    ...(object ? { object } : {}),
    ...(a.oldObject ? { oldObject: a.oldObject } : {}),
    dryRun: a.dryRun,
  });
  const signal = new AbortController().signal;
  let object = a.object;
  for (const hook of hooks) {
    if (!hook.defaulter || a.operation === "DELETE" || !object) continue;
    const result = await defaultingHandler(hook.defaulter).handle(makeRequest(object), signal);
    if (!result.allowed) throw refused(result, webhookName({ ...base, type: "mutating" }), a.request);
    if (result.patch) object = applyJsonPatch<KubeObject>(object, JSON.parse(Buffer.from(result.patch, "base64").toString()) as JsonPatchOperation[]);
  }
  for (const hook of hooks) {
    if (!hook.validator) continue;
    const result = await validatingHandler(hook.validator).handle(makeRequest(object), signal);
    if (!result.allowed) throw refused(result, webhookName({ ...base, type: "validating" }), a.request);
  }
  return object;
}
