import { controllerutil, handler, ignoreNotFound, isNotFound, log, Namespace, predicate, Secret } from "@operator-ts/runtime";
import { type ClusterRequest, clustersNamed, forCluster, mcControllerManagedBy, type MultiClusterManager } from "@operator-ts/multicluster";

/** Only Secrets carrying this label are mirrored: never every token and certificate of the reference cluster. */
export const MIRROR_LABEL = "secret-mirror.operator-ts.io/mirror";
/** Set on every copy, so that the mirror's own Secrets are never touched. */
export const MIRRORED_FROM = "secret-mirror.operator-ts.io/mirrored-from";

export interface SecretMirrorOptions {
  reference: string;
  mirror: string;
}

/**
 * Mirrors labelled Secrets from the reference cluster into the mirror cluster (create, update, delete). Events from
 * the mirror cluster enqueue the reference Secret too, so a copy deleted or edited by hand is restored.
 */
export async function setupSecretMirror(mcm: MultiClusterManager, options: SecretMirrorOptions): Promise<void> {
  const { reference, mirror } = options;
  const toReference = handler.enqueueRequestsFromMapFunc<Secret, ClusterRequest>((copy) => {
    if (copy.metadata?.labels?.[MIRRORED_FROM] !== reference) return [];
    return [{ cluster: reference, namespace: copy.metadata.namespace, name: copy.metadata.name! }];
  });

  await mcControllerManagedBy(mcm)
    .named("secret-mirror")
    .watches(Secret, forCluster(handler.enqueueRequestForObject<Secret>()), {
      clusters: clustersNamed(reference),
      predicates: [predicate.labelSelectorPredicate({ [MIRROR_LABEL]: "true" })],
    })
    .watches(Secret, () => toReference, { clusters: clustersNamed(mirror) })
    .complete(async (req) => {
      if (req.cluster !== reference) return;
      const logger = log.fromContext();
      const source = mcm.getCluster(reference);
      const target = mcm.getCluster(mirror);
      let original: Secret | undefined;
      try {
        original = await source.client.get(Secret, req);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const wanted = original && original.metadata?.labels?.[MIRROR_LABEL] === "true" && !original.metadata.deletionTimestamp;
      if (!wanted) {
        const copy = await target.client.get(Secret, req).catch(ignoreNotFound);
        if (copy?.metadata?.labels?.[MIRRORED_FROM] === reference) {
          await target.client.delete(copy).catch(ignoreNotFound);
          logger.info("deleted mirror copy");
        }
        return;
      }
      await ensureNamespace(mcm, mirror, req.namespace!);
      const copy: Secret = { apiVersion: "v1", kind: "Secret", metadata: { name: req.name, namespace: req.namespace } };
      const result = await controllerutil.createOrUpdate(target.client, copy, (obj) => {
        if (obj.metadata?.labels?.[MIRRORED_FROM] === undefined && obj.metadata?.resourceVersion) {
          // A Secret of the mirror cluster's own, not one of our copies: leave it alone.
          throw new Error(`Secret ${req.namespace}/${req.name} exists in ${mirror} and is not a mirror copy; not overwriting it`);
        }
        obj.metadata = { ...obj.metadata, labels: { ...original!.metadata?.labels, [MIRRORED_FROM]: reference } };
        obj.type = original!.type;
        obj.data = original!.data;
      });
      if (result !== "unchanged") logger.info({ result }, "mirror copy written");
    });
}

async function ensureNamespace(mcm: MultiClusterManager, cluster: string, name: string): Promise<void> {
  const c = mcm.getCluster(cluster);
  const existing = await c.apiReader.get(Namespace, { name }).catch(ignoreNotFound);
  if (!existing) await c.client.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name } }).catch(() => undefined);
}
