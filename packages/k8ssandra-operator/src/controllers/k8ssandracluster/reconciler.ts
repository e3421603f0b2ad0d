import type { ClusterObjectState, ClusterRequest, MultiClusterManager } from "@operator-ts/multicluster";
import { client, controllerutil, type EventRecorder, ignoreNotFound, log, Patch, type Result, Secret } from "@operator-ts/runtime";
import { CassandraDatacenter, K8ssandraCluster, Stargate, unsupportedFields } from "../../api/index.ts";
import { ClusterWork } from "./clusterwork.ts";
import { datacenterWhere, observeDatacenter, reconcileDatacenter, removeDatacenters } from "./datacenters.ts";
import { contextOf, datacentersOf, namespaceOf } from "./desired.ts";
import { FINALIZER, MANAGED_BY_LABEL, OPERATOR_NAME, ownership } from "./labels.ts";
import { type Problem, problemOf } from "./problems.ts";
import { ensureInitialSystemReplication } from "./replication.ts";
import { ensureSuperuserSecret, replicateSecrets, secretsToReplicate } from "./secrets.ts";
import {
  CASSANDRA_INITIALIZED,
  CLUSTERS_REACHABLE,
  NUM_TOKENS_UNCHANGED,
  READY,
  RECONCILED,
  recordedReady,
  SPEC_VALID,
  StatusBuilder,
  UNSUPPORTED_FIELDS,
} from "./status.ts";
import { validate } from "./validate.ts";

/** How often to look again while a cluster is unreachable or a k8sContext has no ClientConfig yet. */
const RETRY_MS = 10_000;
/** How often to look again after a problem only a person can fix: nothing may tell us it was fixed (RBAC, say). */
const PROBLEM_RETRY_MS = 30_000;
/** How often to look again while children are being deleted. */
const CLEANUP_POLL_MS = 2_000;

/**
 * The control-plane controller of K8ssandraClusters: the superuser Secret and its replicas, one CassandraDatacenter
 * per datacenter in the cluster its k8sContext names (created one at a time, each after the previous is Ready),
 * Stargates once their datacenter is Ready, and a status gathered from every cluster. A cluster that does not answer
 * is skipped and reported, never waited on: work on each cluster is bounded, and runs alongside the others'.
 */
export class K8ssandraClusterReconciler {
  private readonly mcm: MultiClusterManager;
  private readonly recorder: EventRecorder;
  private readonly clientConfigs: { stateOf(context: string): ClusterObjectState | undefined } | undefined;

  constructor(mcm: MultiClusterManager, clientConfigs?: { stateOf(context: string): ClusterObjectState | undefined }) {
    this.mcm = mcm;
    this.clientConfigs = clientConfigs;
    this.recorder = mcm.manager.getEventRecorderFor("k8ssandracluster-controller");
  }

  async reconcile(req: ClusterRequest, signal: AbortSignal = new AbortController().signal): Promise<Result | void> {
    if (req.cluster !== "") return;
    const home = this.mcm.manager.client;
    let k8c = await home.get(K8ssandraCluster, req).catch(ignoreNotFound);
    if (!k8c) return;
    if (k8c.metadata.deletionTimestamp) return this.finalize(k8c);
    if (controllerutil.addFinalizer(k8c, FINALIZER)) k8c = await home.update(k8c);

    const status = new StatusBuilder(k8c);
    try {
      return await this.reconcileSpec(k8c, status, signal);
    } catch (err) {
      // What the control plane itself refuses (a 403 on the superuser Secret, say) is shown like any other problem.
      const problem = signal.aborted ? undefined : problemOf(err, "in the control plane");
      if (!problem) throw err;
      this.reportProblems(k8c, status, [problem]);
      status.error(problem.message);
      return { requeueAfter: PROBLEM_RETRY_MS };
    } finally {
      await this.writeStatus(k8c, status);
    }
  }

  private async reconcileSpec(k8c: K8ssandraCluster, status: StatusBuilder, signal: AbortSignal): Promise<Result | void> {
    const logger = log.fromContext();
    const unsupported = unsupportedFields(k8c);
    if (unsupported.length) {
      const message = `ignored by this operator: ${unsupported.join(", ")}`;
      if (status.condition(UNSUPPORTED_FIELDS, "True", "FieldsNotSupported", message)) this.recorder.event(k8c, "Warning", "UnsupportedFields", message);
    } else {
      status.removeCondition(UNSUPPORTED_FIELDS);
    }

    const validation = validate(k8c, (ctx) => this.mcm.hasCluster(ctx));
    if (validation.errors.length) {
      const message = validation.errors.join("; ");
      if (status.condition(SPEC_VALID, "False", "InvalidSpec", message)) this.recorder.event(k8c, "Warning", "InvalidSpec", message);
      status.condition(RECONCILED, "False", "InvalidSpec", message);
      status.error(message);
      logger.info({ problems: validation.errors.length }, "invalid spec: waiting for it to be fixed");
      return;
    }
    status.condition(SPEC_VALID, "True", "Valid", "");

    const { secret, problem } = await ensureSuperuserSecret(this.mcm.manager.client, k8c);
    if (problem) {
      if (status.condition(READY, "False", "SuperuserSecretMissing", problem)) this.recorder.event(k8c, "Warning", "SuperuserSecretMissing", problem);
      status.condition(RECONCILED, "False", "SuperuserSecretMissing", problem);
      status.error(problem);
      return { requeueAfter: RETRY_MS };
    }

    const work = new ClusterWork(this.mcm, signal);
    const dcs = datacentersOf(k8c);
    const secrets = await secretsToReplicate(this.mcm.manager.client, k8c, secret);
    // Every cluster's copies start at once; a datacenter waits only for those in its own cluster.
    const namespaces = new Map<string, Set<string>>();
    for (const dc of dcs) {
      const [context, namespace] = [contextOf(dc), namespaceOf(k8c, dc)];
      const set = namespaces.get(context) ?? namespaces.set(context, new Set()).get(context)!;
      if (context !== "" || namespace !== k8c.metadata.namespace) set.add(namespace);
    }
    const replicated = new Map(
      [...namespaces].map(([context, inCluster]) => [
        context,
        work.run(context, `copying Secrets into cluster ${context || "home"}`, (cluster) => replicateSecrets(cluster, k8c, secrets, inCluster)),
      ]),
    );
    const removal = this.removeDatacenters(k8c, status, work);
    const systemReplication = await ensureInitialSystemReplication(this.mcm.manager.client, k8c);

    let ready = 0;
    let blocked = false;
    let reached = dcs.length;
    const seeds: string[] = [];
    const refused: string[] = [];
    for (const [position, dc] of dcs.entries()) {
      const context = contextOf(dc);
      const name = dc.metadata.name;
      if (!this.mcm.hasCluster(context)) {
        status.datacenter(name).contextName = context;
        blocked = true;
        reached = position;
        break;
      }
      const settled = (await replicated.get(context))
        ? await work.run(context, `CassandraDatacenter ${datacenterWhere(k8c, dc)}`, (cluster) => reconcileDatacenter(cluster, this.recorder, k8c, dc, position, seeds, status, { systemReplication, refused }))
        : undefined;
      if (settled) {
        ready++;
        continue;
      }
      // What we last saw stands in for a datacenter we cannot ask: if it was Ready, the ones after it proceed.
      if (work.unreachable.has(context) && recordedReady(status.datacenter(name))) {
        ready++;
        continue;
      }
      blocked = true;
      reached = position;
      break;
    }
    // The datacenters after the one that holds the others up still show their state (read from the caches).
    await Promise.all(
      dcs
        .map((dc, position) => ({ dc, position }))
        .slice(reached + 1)
        .map(({ dc, position }) => work.run(contextOf(dc), `reading ${datacenterWhere(k8c, dc)}`, (cluster) => observeDatacenter(cluster, k8c, dc, position, status))),
    );
    await Promise.all([removal, ...replicated.values()]);
    signal.throwIfAborted();

    if (refused.length) {
      const message = refused.join("; ");
      if (status.condition(NUM_TOKENS_UNCHANGED, "False", "NumTokensImmutable", message)) this.recorder.event(k8c, "Warning", "NumTokensImmutable", message);
    } else if (!blocked && !work.unreachable.size) {
      // Only once every datacenter was looked at: one not reached this time may still be asked for another num_tokens.
      status.removeCondition(NUM_TOKENS_UNCHANGED);
    }
    status.status.readyDatacenters = `${ready}/${dcs.length}`;
    const missing = validation.unknownContexts;
    const down = [...work.unreachable];
    const reachability = [
      ...down.map((c) => `cluster ${c || "home"} unreachable${this.since(c)}`),
      ...missing.map((c) => this.whyMissing(c)),
    ];
    if (reachability.length) {
      const message = reachability.join("; ");
      if (status.condition(CLUSTERS_REACHABLE, "False", missing.length ? "UnknownContext" : "Unreachable", message)) {
        this.recorder.event(k8c, "Warning", missing.length ? "UnknownContext" : "ClusterUnreachable", message);
        logger.warn({ unreachable: down, unknownContexts: missing }, "datacenters in these clusters wait; the others go on");
      }
    } else if (status.condition(CLUSTERS_REACHABLE, "True", "Reachable", "")) {
      logger.info("every cluster is reachable");
    }
    this.reportProblems(k8c, status, work.problems);
    status.error([...work.problems.map((p) => p.message), ...reachability].join("; ") || undefined);

    const allReady = !blocked && ready === dcs.length;
    status.condition(READY, allReady ? "True" : "False", allReady ? "DatacentersReady" : "DatacentersNotReady", `${ready} of ${dcs.length} datacenters ready`);
    if (allReady) {
      // Set once and never taken back, as K8ssandra does: the cluster has been fully up at least once.
      if (!status.isTrue(CASSANDRA_INITIALIZED)) {
        status.condition(CASSANDRA_INITIALIZED, "True", "AllDatacentersReady", "");
        this.recorder.event(k8c, "Normal", "CassandraInitialized", `all ${dcs.length} datacenters are ready`);
      }
      if (!down.length) status.status.observedGeneration = k8c.metadata.generation;
    }
    // Errors that may pass are retried with the controller's backoff (the status above is still written).
    if (work.transient.length) throw work.transient[0];
    if (reachability.length) return { requeueAfter: RETRY_MS };
    if (work.problems.length) return { requeueAfter: PROBLEM_RETRY_MS };
  }

  /** Reconciled=False naming every problem only a person can fix, with a Warning Event per problem when they change. */
  private reportProblems(k8c: K8ssandraCluster, status: StatusBuilder, problems: Problem[]): void {
    if (!problems.length) {
      status.condition(RECONCILED, "True", "ReconcileSucceeded", "");
      return;
    }
    const message = problems.map((p) => p.message).join("; ");
    if (!status.condition(RECONCILED, "False", problems[0]!.reason, message)) return;
    for (const p of problems) this.recorder.event(k8c, "Warning", p.reason, p.message);
    log.fromContext().info({ problems: problems.map((p) => p.reason) }, "reconcile needs a fix only a person can make");
  }

  /** Why a k8sContext has no cluster: no ClientConfig names it, or the one that does is not usable (and why). */
  private whyMissing(context: string): string {
    const state = this.clientConfigs?.stateOf(context);
    if (!state) return `no ClientConfig for k8sContext ${context}`;
    return `ClientConfig ${state.object.namespace}/${state.object.name} for k8sContext ${context} is not usable (${state.reason}): ${state.message}`;
  }

  private since(cluster: string): string {
    const s = this.mcm.health.status(cluster);
    return s?.state === "unreachable" ? ` since ${s.since.toISOString()}` : "";
  }

  /** Datacenters in the status but no longer in the spec: each cluster's removed alongside the others'. */
  private async removeDatacenters(k8c: K8ssandraCluster, status: StatusBuilder, work: ClusterWork): Promise<void> {
    const wanted = new Set(datacentersOf(k8c).map((dc) => dc.metadata.name));
    const byCluster = new Map<string, string[]>();
    for (const [name, entry] of Object.entries(status.status.datacenters ?? {})) {
      if (wanted.has(name)) continue;
      const context = entry.contextName ?? "";
      if (!this.mcm.hasCluster(context)) continue;
      byCluster.set(context, [...(byCluster.get(context) ?? []), name]);
    }
    await Promise.all(
      [...byCluster].map(([context, names]) =>
        work.run(context, `removing datacenters ${names.join(", ")}`, (cluster) => removeDatacenters(cluster, this.recorder, k8c, status, context, names)),
      ),
    );
  }

  /** Deletes every child in every cluster, waits until they are gone, then lets the K8ssandraCluster go. */
  private async finalize(k8c: K8ssandraCluster): Promise<Result | void> {
    if (!controllerutil.containsFinalizer(k8c, FINALIZER)) return;
    const contexts = new Set<string>([""]);
    for (const dc of datacentersOf(k8c)) contexts.add(contextOf(dc));
    for (const entry of Object.values(k8c.status?.datacenters ?? {})) contexts.add(entry.contextName ?? "");
    const known = [...contexts].filter((c) => this.mcm.hasCluster(c));
    // A cluster known to be down is not waited on: its children are deleted once it answers again.
    const reachable = known.filter((c) => this.mcm.health.status(c)?.state !== "unreachable");
    // Listing stays in the namespaces this K8ssandraCluster uses: a data-plane identity may read Secrets only there.
    const namespaces = [k8c.metadata.namespace!, ...datacentersOf(k8c).map((dc) => namespaceOf(k8c, dc))];
    const result = await ownership.deleteChildren(this.mcm, k8c, "", [Stargate, CassandraDatacenter, Secret], {
      clusters: reachable,
      extraLabels: { [MANAGED_BY_LABEL]: OPERATOR_NAME },
      namespaces,
    });
    const unreachable = [...result.unreachable, ...known.filter((c) => !reachable.includes(c))];
    if (result.remaining > 0 || unreachable.length) {
      log.fromContext().info({ remaining: result.remaining, unreachable }, "waiting for children to be deleted");
      return { requeueAfter: CLEANUP_POLL_MS };
    }
    controllerutil.removeFinalizer(k8c, FINALIZER);
    await this.mcm.manager.client.update(k8c).catch(ignoreNotFound);
  }

  private async writeStatus(k8c: K8ssandraCluster, status: StatusBuilder): Promise<void> {
    const patch = client.createMergePatch({ status: k8c.status ?? {} }, { status: status.status });
    if (!patch || Object.keys(patch as object).length === 0) return;
    await this.mcm.manager.client.status().patch(k8c, Patch.merge(patch)).catch(ignoreNotFound);
  }
}
