import { Namespace, type Manager, type Reader } from "@operator-ts/runtime";
import { type CustomDefaulter, type CustomValidator, field, type FieldError, webhookManagedBy } from "@operator-ts/runtime/webhook";
import { Memcached } from "./api.ts";

export const DEFAULT_SIZE = 1;
export const MIN_SIZE = 1;
export const MAX_SIZE = 5;
/** A namespace annotation capping the size of each Memcached in it: `cache.example.com/max-size: "3"`. */
export const QUOTA_ANNOTATION = "cache.example.com/max-size";

/** The kubebuilder tutorial's defaulter: a Memcached without a size gets one instance. */
export const memcachedDefaulter: CustomDefaulter<Memcached> = {
  default(memcached) {
    memcached.spec.size ??= DEFAULT_SIZE;
  },
};

/**
 * The validator: the size stays within MIN_SIZE..MAX_SIZE and within the namespace's quota annotation. It reads the
 * Namespace with an uncached reader, so the operator needs only `get` on namespaces, not a cluster-wide watch.
 */
export function memcachedValidator(reader: Reader): CustomValidator<Memcached> {
  const check = async (memcached: Memcached): Promise<{ errors: FieldError[] }> => {
    const size = memcached.spec.size ?? DEFAULT_SIZE;
    const path = "spec.size";
    if (size < MIN_SIZE || size > MAX_SIZE) return { errors: [field.invalid(path, size, `must be between ${MIN_SIZE} and ${MAX_SIZE}`)] };
    const namespace = await reader.get(Namespace, { name: memcached.metadata.namespace ?? "default" });
    const quota = namespace.metadata?.annotations?.[QUOTA_ANNOTATION];
    if (quota === undefined) return { errors: [] };
    const max = Number(quota);
    if (!Number.isInteger(max)) {
      return { errors: [field.invalid(path, size, `the namespace's ${QUOTA_ANNOTATION} annotation "${quota}" is not a whole number`)] };
    }
    if (size > max) return { errors: [field.invalid(path, size, `must be at most ${max}, the quota of namespace ${namespace.metadata?.name}`)] };
    return { errors: [] };
  };
  return {
    validateCreate: check,
    validateUpdate: (_old, memcached) => check(memcached),
  };
}

/** Serves both webhooks on the manager's webhook server (kubebuilder's SetupMemcachedWebhookWithManager). */
export function setupMemcachedWebhooks(mgr: Manager) {
  return webhookManagedBy(mgr).for(Memcached).withDefaulter(memcachedDefaulter).withValidator(memcachedValidator(mgr.apiReader)).complete();
}
