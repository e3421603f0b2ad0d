import type { KubeObject } from "../api/object.ts";
import { jsonClone } from "../api/json.ts";
import type { CustomResourceType } from "../crd/define.ts";
import { getLogger, type Logger } from "../log/index.ts";
import { MalformedReviewError } from "./admission.ts";
import type { Webhook } from "./server.ts";

/** apiextensions.k8s.io/v1 ConversionReview. */
export interface ConversionReview {
  apiVersion: string;
  kind: "ConversionReview";
  request?: { uid: string; desiredAPIVersion: string; objects: KubeObject[] };
  response?: {
    uid: string;
    convertedObjects: KubeObject[];
    result: { status: "Success" | "Failure"; message?: string };
  };
}

type Version = CustomResourceType<{ apiVersion: string; kind: string }>;

/**
 * controller-runtime's conversion webhook, served on /convert: converts each object of a review to the desired
 * version through the hub (spoke -> hub -> spoke). One webhook serves every convertible kind the server knows.
 */
export class ConversionWebhook implements Webhook {
  private readonly kinds = new Map<string, Map<string, Version>>();
  private readonly log: Logger;

  constructor(options: { log?: Logger } = {}) {
    this.log = options.log ?? getLogger();
  }

  /** Makes versions of a kind convertible; each must be the hub or say how it converts to it. */
  add(...versions: Version[]): void {
    for (const v of versions) {
      if (!v.hub && !v.conversion) throw new Error(`${v.kind} ${v.apiVersion} is neither a hub nor convertible to one`);
      const key = `${v.kind}.${v.group}`;
      const byVersion = this.kinds.get(key) ?? new Map<string, Version>();
      byVersion.set(v.apiVersion, v);
      if (v.conversion) byVersion.set(v.conversion.hub.apiVersion, v.conversion.hub as Version);
      this.kinds.set(key, byVersion);
    }
  }

  /** Converts one object; throws saying which versions it cannot convert between. */
  convert(obj: KubeObject, desiredAPIVersion: string): KubeObject {
    const group = (obj.apiVersion ?? "").split("/")[0] ?? "";
    const versions = this.kinds.get(`${obj.kind}.${group}`);
    if (!versions) throw new Error(`${obj.kind} of ${group} is not convertible here`);
    const from = versions.get(obj.apiVersion ?? "");
    const to = versions.get(desiredAPIVersion);
    if (!from || !to) throw new Error(`cannot convert ${obj.kind} from ${obj.apiVersion} to ${desiredAPIVersion}: unknown version`);
    if (from === to) return obj;
    const metadata = obj.metadata;
    let value: KubeObject = jsonClone(obj);
    if (!from.hub) value = from.conversion!.toHub(value as never) as KubeObject;
    if (!to.hub) value = to.conversion!.fromHub(jsonClone(value) as never) as KubeObject;
    // The API server refuses a conversion that changes metadata beyond labels and annotations.
    const converted = value.metadata ?? {};
    return {
      ...value,
      apiVersion: to.apiVersion,
      kind: to.kind,
      metadata: { ...jsonClone(metadata), labels: converted.labels ?? metadata?.labels, annotations: converted.annotations ?? metadata?.annotations },
    };
  }

  async review(body: unknown): Promise<ConversionReview> {
    const review = body as Partial<ConversionReview> | null;
    if (typeof review !== "object" || review === null || review.kind !== "ConversionReview") {
      throw new MalformedReviewError('the body is not a ConversionReview (kind "ConversionReview")');
    }
    const request = review.request;
    if (!request || typeof request.uid !== "string" || typeof request.desiredAPIVersion !== "string" || !Array.isArray(request.objects)) {
      throw new MalformedReviewError("request needs uid, desiredAPIVersion and objects");
    }
    const apiVersion = review.apiVersion ?? "apiextensions.k8s.io/v1";
    try {
      const convertedObjects = request.objects.map((o) => this.convert(o, request.desiredAPIVersion));
      return { apiVersion, kind: "ConversionReview", response: { uid: request.uid, convertedObjects, result: { status: "Success" } } };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error({ err: message, desiredAPIVersion: request.desiredAPIVersion }, "conversion failed");
      return { apiVersion, kind: "ConversionReview", response: { uid: request.uid, convertedObjects: [], result: { status: "Failure", message } } };
    }
  }
}
