import { controllerManagedBy, Deployment, ignoreNotFound, type Manager, predicate } from "@operator-ts/runtime";

export const DEPLOYMENT_SIMULATOR_NAME = "stargate-deployment-simulator";

/**
 * Plays the part of the scheduler and kubelet for Stargate's Deployments where no node runs (the demo's clusters):
 * their status reports every replica ready, so the Stargate controller's Running state can be seen. Only Deployments
 * labelled as Stargate components, only where no kube-controller-manager writes Deployment status. Never used by the
 * operator.
 */
export async function setupStargateDeploymentSimulator(mgr: Manager): Promise<void> {
  await controllerManagedBy(mgr)
    .for(Deployment, { predicates: [predicate.labelSelectorPredicate({ "app.kubernetes.io/component": "stargate" })] })
    .named(DEPLOYMENT_SIMULATOR_NAME)
    .withOptions({ needLeaderElection: false })
    .complete(async (req) => {
      const deployment = await mgr.client.get(Deployment, req).catch(ignoreNotFound);
      if (!deployment?.metadata?.generation) return;
      const replicas = deployment.spec?.replicas ?? 1;
      const s = deployment.status;
      if (s?.observedGeneration === deployment.metadata.generation && s.readyReplicas === replicas && s.availableReplicas === replicas) return;
      await mgr.client.status().update<Deployment>({
        ...deployment,
        status: { observedGeneration: deployment.metadata.generation, replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas },
      });
    });
}
