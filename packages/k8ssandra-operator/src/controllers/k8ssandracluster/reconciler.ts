import type { ClusterObjectState, ClusterRequest, MultiClusterManager } from "@operator-ts/multicluster";
import { client, controllerutil, type EventRecorder, ignoreNotFound, log, Patch, type Result, Secret } from "@operator-ts/runtime";
import { CassandraDatacenter, K8ssandraCluster, Stargate, unsupportedFields } from "../../api/index.ts";
import { ClusterWork } from "./clusterwork.ts";
import { authEnabled } from "./config.ts";
import type { CqlSessions } from "./cql.ts";
import { ensureSystemKeyspaces } from "./keyspaces.ts";
import { joinRing, removable } from "./ring.ts";
import { ClusterCql, credentialsOf, namesOf, nodeAddresses, systemReplicationFor } from "./schema.ts";
import { datacenterWhere, observeDatacenter, reconcileDatacenter, removeDatacenters } from "./datacenters.ts";
import { contextOf, datacentersOf, namespaceOf } from "./desired.ts";
import { FINALIZER, MANAGED_BY_LABEL, OPERATOR_NAME, ownership } from "./labels.ts";
import { type Problem, problemOf } from "./problems.ts";
import { ensureInitialSystemReplication } from "./replication.ts";
import { ensureSuperuserSecret, replicateSecrets, secretsToReplicate } from "./secrets.ts";
import {
  CASSANDRA_INITIALIZED,
  CASSANDRA_REACHABLE,
  CLUSTERS_REACHABLE,
  DATACENTERS_REMOVABLE,
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
/** How often a rebuild's CassandraTask is looked at while it runs (tasks are not watched: the kind may not be installed). */
const REBUILD_POLL_MS = 3_000;
/** How often to look again while children are being deleted. */
const CLEANUP_POLL_MS = 2_000;

/** Seeds taken from each other datacenter: as many as cass-operator's seed Service names per datacenter. */
const SEEDS_PER_DATACENTER = 3;

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
  /** Sessions to the clusters' Cassandra; undefined when the operator uses no CQL (datacenters without real nodes). */
  private readonly cql: CqlSessions | undefined;

  constructor(mcm: MultiClusterManager, clientConfigs?: { stateOf(context: string): ClusterObjectState | undefined }, cql?: CqlSessions) {
    this.mcm = mcm;
    this.clientConfigs = clientConfigs;
    this.cql = cql;
    this.recorder = mcm.manager.getEventRecorderFor("k8ssandracluster-controller");
  }

  async reconcile(req: ClusterRequest, signal: AbortSignal = new AbortController().signal): Promise<Result | void> {
    if (req.cluster !== "") return;
    const home = this.mcm.manager.client;
    let k8c = await home.get(K8ssandraCluster, req).catch(ignoreNotFound);
    if (!k8c) {
      await this.cql?.close(`${req.namespace}/${req.name}`);
      return;
    }
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
    const cql = this.cql ? new ClusterCql(this.cql, k8c, credentialsOf(secret, authEnabled(k8c))) : undefined;
    const names = namesOf(dcs);
    const previous = k8c.status?.datacenters ?? {};
    const removed = Object.keys(status.status.datacenters ?? {}).filter((name) => !names.some((d) => d.name === name));
    const targets = () => ClusterCql.targets(status.status.datacenters ?? {}, [...names, ...removed.map((name) => ({ name, cassandraName: name }))], cql?.credentials);
    const leaving = cql ? await removable(this.recorder, k8c, status, cql, removed, targets) : removed;
    // The datacenters in the ring: every one that has been Ready, and removed ones until they are gone (Cassandra
    // refuses to drop a datacenter with active nodes from system_auth, so the system keyspaces leave it after).
    const settledNow = new Set<string>();
    const ring = () =>
      systemReplicationFor([
        ...names.filter((d) => settledNow.has(d.name) || recordedReady(previous[d.name])).map((d) => ({ name: d.cassandraName, size: d.size })),
        ...removed.filter((name) => name in (status.status.datacenters ?? {})).map((name) => ({ name, size: Object.keys(previous[name]?.cassandra?.nodeStatuses ?? {}).length })),
      ]);
    const removal = cql && (cql.unreachable.length || cql.failures.length) ? Promise.resolve() : this.removeDatacenters(k8c, status, work, leaving);
    const systemReplication = await ensureInitialSystemReplication(this.mcm.manager.client, k8c);

    let ready = 0;
    let blocked = false;
    let reached = dcs.length;
    const refused: string[] = [];
    const members = [...names.map((d) => d.name), ...removed.filter((r) => !leaving.includes(r))];
    const seedsUsed = new Map<string, string[]>();
    for (const [position, dc] of dcs.entries()) {
      const context = contextOf(dc);
      const name = dc.metadata.name;
      if (!this.mcm.hasCluster(context)) {
        status.datacenter(name).contextName = context;
        blocked = true;
        reached = position;
        break;
      }
      const seeds = this.seedsFor(status, name, members);
      seedsUsed.set(name, seeds);
      // Every datacenter after the first joins empty: its replicas of the system keyspaces (the superuser's role among
      // them) and of any user data exist only once a rebuild streamed them, whether or not the cluster was live before.
      const rebuild = Boolean(cql) && position > 0;
      const settled = (await replicated.get(context))
        ? await work.run(context, `CassandraDatacenter ${datacenterWhere(k8c, dc)}`, (cluster) =>
            reconcileDatacenter(cluster, this.recorder, k8c, dc, position, seeds, status, { systemReplication, refused, rebuild }),
          )
        : undefined;
      if (settled) settledNow.add(name);
      if (settled && (!cql || (await joinRing(this.recorder, k8c, dc, position, settled, status, work, cql, ring, targets)))) {
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
    const gone = removed.filter((name) => !(name in (status.status.datacenters ?? {})));
    if (cql && gone.length && settledNow.size) {
      const replication = ring();
      const altered = await cql.step("updating the system keyspaces after a removal", (c, ks) => ensureSystemKeyspaces(c, ks, replication), targets());
      if (altered?.length) this.recorder.event(k8c, "Normal", "SystemReplicationUpdated", `${altered.join(", ")} replicated to ${JSON.stringify(replication)} (${gone.join(", ")} removed)`);
    }

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
    const cqlTrouble = cql ? [...cql.unreachable, ...cql.failures] : [];
    if (!cql) status.removeCondition(CASSANDRA_REACHABLE);
    else if (cql.unreachable.length) {
      const message = cql.unreachable.join("; ");
      if (status.condition(CASSANDRA_REACHABLE, "False", "Unreachable", message)) {
        this.recorder.event(k8c, "Warning", "CassandraUnreachable", message);
        logger.warn({ err: message }, "CQL cannot reach the datacenters; replication and rebuilds wait");
      }
    } else if (targets().length) status.condition(CASSANDRA_REACHABLE, "True", "Reachable", "");
    this.reportProblems(k8c, status, work.problems);
    status.error([...work.problems.map((p) => p.message), ...reachability, ...cqlTrouble].join("; ") || undefined);

    // A datacenter's seeds were read from the addresses recorded before this pass, and a later datacenter's may have
    // changed during it: then the earlier one gets its new seeds next time, and the cluster is not Ready until it has.
    const seedsStale = [...seedsUsed].some(([name, used]) => this.seedsFor(status, name, members).join(",") !== used.join(","));
    const allReady = !blocked && ready === dcs.length && !seedsStale;
    const readiness = `${ready} of ${dcs.length} datacenters ready`;
    if (allReady) status.condition(READY, "True", "DatacentersReady", readiness);
    else if (seedsStale && !blocked && ready === dcs.length) status.condition(READY, "False", "SeedsUpdating", `${readiness}; their seeds are being brought up to date`);
    else status.condition(READY, "False", "DatacentersNotReady", readiness);
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
    if (seedsStale) return { requeue: true };
    if (reachability.length || cqlTrouble.length) return { requeueAfter: RETRY_MS };
    if (cql?.rebuilding) return { requeueAfter: REBUILD_POLL_MS };
    // A keyspace's replication changes in Cassandra, where no watch sees it: look again for the refused removal.
    if (status.status.conditions?.some((c) => c.type === DATACENTERS_REMOVABLE && c.status === "False")) return { requeueAfter: RETRY_MS };
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
  private async removeDatacenters(k8c: K8ssandraCluster, status: StatusBuilder, work: ClusterWork, leaving: string[]): Promise<void> {
    const byCluster = new Map<string, string[]>();
    for (const [name, entry] of Object.entries(status.status.datacenters ?? {})) {
      if (!leaving.includes(name)) continue;
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

  /** additionalSeeds of one datacenter: nodes of every other datacenter of the cluster (the spec's, and ones not allowed to leave). */
  private seedsFor(status: StatusBuilder, name: string, members: string[]): string[] {
    const entries = status.status.datacenters ?? {};
    return members.filter((other) => other !== name).flatMap((other) => nodeAddresses(entries[other]).slice(0, SEEDS_PER_DATACENTER));
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
    await this.cql?.close(`${k8c.metadata.namespace}/${k8c.metadata.name}`);
  }

  private async writeStatus(k8c: K8ssandraCluster, status: StatusBuilder): Promise<void> {
    const patch = client.createMergePatch({ status: k8c.status ?? {} }, { status: status.status });
    if (!patch || Object.keys(patch as object).length === 0) return;
    await this.mcm.manager.client.status().patch(k8c, Patch.merge(patch)).catch(ignoreNotFound);
  }
}
