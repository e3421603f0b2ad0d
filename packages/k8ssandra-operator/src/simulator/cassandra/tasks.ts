import {
  type Client,
  controllerManagedBy,
  isNotFound,
  log,
  type Manager,
  type Reader,
  type Request,
  type Result,
} from "@operator-ts/runtime";
import { CassandraDatacenter, datacenterLabels } from "../../api/index.ts";
import { timestamp } from "../status.ts";
import { desiredNodes } from "../topology.ts";
import type { RealCassandra } from "./cluster.ts";
import { CassandraTask, type CassandraTaskJob, type PodProcessingStatus, TASK_STATUS_LABEL, type TaskCondition } from "./task-type.ts";

export const TASK_RUNNER_NAME = "cass-operator-task-stand-in";
/** cass-operator deletes a finished task after this long unless the task says otherwise (0: never). */
const DEFAULT_TTL_SECONDS = 86_400;
const POLL_MS = 1000;

interface Run {
  pods: Map<string, PodProcessingStatus>;
  done: boolean;
  error?: string;
}

/** The nodetool command line for a job on one node, or why the stand-in cannot run it. */
export function nodetoolArgs(job: CassandraTaskJob): string[] | string {
  const a = job.args ?? {};
  const keyspaceAndTables = a.keyspace_name ? [a.keyspace_name, ...(a.tables ?? [])] : [];
  switch (job.command) {
    case "rebuild":
      return ["rebuild", ...(a.keyspace_name ? ["--keyspace", a.keyspace_name] : []), ...(a.source_datacenter ? [a.source_datacenter] : [])];
    case "cleanup":
      return ["cleanup", ...(a.jobs !== undefined ? ["-j", String(a.jobs)] : []), ...keyspaceAndTables];
    case "flush":
      return ["flush", ...keyspaceAndTables];
    case "compact":
      return ["compact", ...keyspaceAndTables];
    case "upgradesstables":
      return ["upgradesstables", ...keyspaceAndTables];
    case "garbagecollect":
      return ["garbagecollect", ...keyspaceAndTables];
    case "restart":
      return [];
    default:
      return `the cass-operator stand-in does not run ${JSON.stringify(job.command)} jobs`;
  }
}

function setCondition(conditions: TaskCondition[], type: string, status: TaskCondition["status"], message = ""): void {
  const existing = conditions.find((c) => c.type === type);
  if (existing) {
    if (existing.status === status) return;
    existing.status = status;
    existing.lastTransitionTime = timestamp();
    if (message) existing.message = message;
    return;
  }
  // cass-operator gives each condition its type as reason.
  conditions.push({ type, status, reason: type, message, lastTransitionTime: timestamp() });
}

/**
 * cass-operator's CassandraTask controller, for the stand-in: a task targeting a datacenter is labelled active and
 * owned by it, its one job runs pod by pod (rack by rack, as cass-operator orders them) with nodetool against the real
 * nodes (or completes at once without real Cassandra), podStatuses track each pod, and the end is written as
 * cass-operator writes it: label completed, Complete=True, Running=False, Failed=True when a pod failed, the counts,
 * and deletion after ttlSecondsAfterFinished.
 */
export class CassandraTaskRunner {
  private readonly client: Client;
  private readonly reader: Reader;
  private readonly cassandra: RealCassandra | undefined;
  private readonly runs = new Map<string, Run>();

  constructor(client: Client, reader: Reader, cassandra: RealCassandra | undefined) {
    this.client = client;
    this.reader = reader;
    this.cassandra = cassandra;
  }

  async reconcile(req: Request): Promise<Result | void> {
    let task: CassandraTask;
    try {
      task = await this.reader.get(CassandraTask, req);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (task.metadata.deletionTimestamp) return;
    const now = Date.now();
    if (task.status?.completionTime) return this.expire(task, now);
    if (task.spec.scheduledTime && Date.parse(task.spec.scheduledTime) > now) return { requeueAfter: Date.parse(task.spec.scheduledTime) - now };

    const dcKey = { namespace: task.spec.datacenter?.namespace || task.metadata.namespace, name: task.spec.datacenter?.name ?? "" };
    const dc = await this.reader.get(CassandraDatacenter, dcKey).catch((err: unknown) => {
      throw new Error(`unable to fetch target CassandraDatacenter ${dcKey.namespace}/${dcKey.name}: ${(err as Error).message}`);
    });
    if (task.metadata.labels?.[TASK_STATUS_LABEL] !== "active") task = await this.start(task, dc);

    const uid = task.metadata.uid!;
    let run = this.runs.get(uid);
    if (!run) {
      run = { pods: new Map(), done: false };
      this.runs.set(uid, run);
      void this.execute(task, dc, run);
    }
    if (!run.done) {
      await this.writeProgress(task, run, false);
      return { requeueAfter: POLL_MS };
    }
    task = await this.client.update({ ...task, metadata: { ...task.metadata, labels: { ...task.metadata.labels, [TASK_STATUS_LABEL]: "completed" } } });
    await this.writeProgress(task, run, true);
    this.runs.delete(uid);
    log.fromContext().info({ task: task.metadata.name, failed: [...run.pods.values()].filter((p) => p.status === "ERROR").length }, "task finished");
    return this.expire({ ...task, status: { ...task.status, completionTime: timestamp() } }, Date.now());
  }

  /** Labels the task active, with the datacenter's labels and owner reference, and records its start. */
  private async start(task: CassandraTask, dc: CassandraDatacenter): Promise<CassandraTask> {
    const owner = { apiVersion: CassandraDatacenter.apiVersion, kind: CassandraDatacenter.kind, name: dc.metadata.name!, uid: dc.metadata.uid!, controller: true, blockOwnerDeletion: true };
    const owners = (task.metadata.ownerReferences ?? []).filter((o) => o.uid !== owner.uid);
    const updated = await this.client.update<CassandraTask>({
      ...task,
      metadata: { ...task.metadata, labels: { ...task.metadata.labels, ...datacenterLabels(dc), [TASK_STATUS_LABEL]: "active" }, ownerReferences: [...owners, owner] },
    });
    const conditions = structuredClone(updated.status?.conditions ?? []);
    setCondition(conditions, "Running", "True");
    return this.client.status().update<CassandraTask>({ ...updated, status: { ...updated.status, startTime: timestamp(), active: 1, conditions } });
  }

  private async writeProgress(task: CassandraTask, run: Run, finished: boolean): Promise<void> {
    const podStatuses = Object.fromEntries(run.pods);
    const succeeded = [...run.pods.values()].filter((p) => p.status === "COMPLETED").length;
    const failed = [...run.pods.values()].filter((p) => p.status === "ERROR").length;
    const conditions = structuredClone(task.status?.conditions ?? []);
    if (finished) {
      setCondition(conditions, "Complete", "True");
      setCondition(conditions, "Running", "False");
      if (failed > 0 || run.error) setCondition(conditions, "Failed", "True", run.error ?? `${failed} pods failed during processing`);
    }
    const status = {
      ...task.status,
      conditions,
      podStatuses,
      succeeded,
      failed,
      ...(finished ? { active: 0, completionTime: timestamp() } : {}),
    };
    if (!finished && JSON.stringify(status) === JSON.stringify(task.status)) return;
    await this.client.status().update<CassandraTask>({ ...task, status });
  }

  private async expire(task: CassandraTask, now: number): Promise<Result | void> {
    const ttl = task.spec.ttlSecondsAfterFinished ?? DEFAULT_TTL_SECONDS;
    if (ttl === 0) return;
    const at = Date.parse(task.status!.completionTime!) + ttl * 1000;
    if (at > now) return { requeueAfter: at - now };
    await this.client.delete(task).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  /** Runs the task's job on each pod in turn; results land in run, which reconcile writes to status. */
  private async execute(task: CassandraTask, dc: CassandraDatacenter, run: Run): Promise<void> {
    try {
      const jobs = task.spec.jobs ?? [];
      if (jobs.length !== 1) throw new Error(`a task holds exactly one job in this version of cass-operator, not ${jobs.length}`);
      const job = jobs[0]!;
      const args = nodetoolArgs(job);
      if (typeof args === "string") throw new Error(args);
      const pods = await this.targetPods(dc, job);
      for (const pod of pods) run.pods.set(pod, { status: "WAITING" });
      for (const pod of pods) {
        const status: PodProcessingStatus = { status: "RUNNING", startTime: timestamp() };
        run.pods.set(pod, status);
        try {
          await this.runOn(dc, pod, job, args);
          run.pods.set(pod, { ...status, status: "COMPLETED", completionTime: timestamp() });
        } catch (err) {
          log.fromContext().error({ pod, command: job.command, err }, "task job failed on pod");
          run.pods.set(pod, { ...status, status: "ERROR", error: (err as Error).message.split("\n")[0]!, completionTime: timestamp() });
        }
      }
    } catch (err) {
      run.error = (err as Error).message;
    } finally {
      run.done = true;
    }
  }

  /** The datacenter's pods sorted by rack, then name, as cass-operator walks them; narrowed by pod_name or rack. */
  private async targetPods(dc: CassandraDatacenter, job: CassandraTaskJob): Promise<string[]> {
    const nodes = this.cassandra
      ? (await this.cassandra.nodes(dc.metadata.uid!)).map((n) => ({ pod: n.pod, rack: n.rack }))
      : desiredNodes(dc).map((n) => ({ pod: n.pod, rack: n.rack }));
    return nodes
      .filter((n) => (!job.args?.pod_name || n.pod === job.args.pod_name) && (!job.args?.rack || n.rack === job.args.rack))
      .sort((a, b) => a.rack.localeCompare(b.rack) || a.pod.localeCompare(b.pod))
      .map((n) => n.pod);
  }

  private async runOn(dc: CassandraDatacenter, pod: string, job: CassandraTaskJob, args: string[]): Promise<void> {
    if (!this.cassandra) return;
    const local = await this.cassandra.local(dc.metadata.uid!);
    const node = local?.node(pod);
    if (!local || !node) throw new Error(`${pod} does not run`);
    log.fromContext().info({ pod, command: job.command }, "task job on pod");
    if (job.command === "restart") await local.restart(pod);
    else await node.nodetool(args);
  }
}

/** Adds the task runner to a manager whose cluster has the CassandraTask CRD. */
export async function setupCassandraTaskRunner(mgr: Manager, cassandra: RealCassandra | undefined): Promise<CassandraTaskRunner> {
  const runner = new CassandraTaskRunner(mgr.client, mgr.apiReader, cassandra);
  await controllerManagedBy(mgr).for(CassandraTask).named(TASK_RUNNER_NAME).withOptions({ needLeaderElection: false }).complete(runner);
  return runner;
}
