import { createHash } from "node:crypto";
import { type CassandraDatacenter, podName, rackNames, splitRacks } from "../api/index.ts";

/** One Cassandra node as the simulator pretends it runs: the pod cass-operator would make, its address and host ID. */
export interface SimulatedNode {
  pod: string;
  rack: string;
  ordinal: number;
  seed: boolean;
  ip: string;
  hostID: string;
  /** Whether the node answers (real Cassandra); the instant simulator's nodes are always ready. */
  ready?: boolean;
}

/** Why cass-operator would refuse this spec (it records Valid=False and goes no further), if it would. */
export function invalidSpec(dc: CassandraDatacenter): string | undefined {
  const racks = rackNames(dc);
  if (new Set(racks).size !== racks.length) return `rack names must be unique: ${racks.join(", ")}`;
  if (dc.spec.size < racks.length) return "the number of nodes cannot be smaller than the number of racks";
  return undefined;
}

/**
 * The nodes cass-operator would run for this spec: size nodes split over the racks (the first racks take the
 * remainder), none when stopped. Seeds as cass-operator picks them: three per datacenter (all nodes when fewer, one per
 * rack when there are more than three racks), spread over the racks, the lowest ordinals first.
 */
export function desiredNodes(dc: CassandraDatacenter): SimulatedNode[] {
  const size = dc.spec.stopped ? 0 : dc.spec.size;
  const racks = rackNames(dc);
  const seedCount = size < 3 ? size : racks.length > 3 ? racks.length : 3;
  const perRack = splitRacks(size, racks.length);
  const seedsPerRack = splitRacks(seedCount, racks.length);
  const hash = digest(dc.metadata.uid ?? `${dc.metadata.namespace}/${dc.metadata.name}`);
  const a = hash[0]!;
  const b = hash[1]!;
  const nodes: SimulatedNode[] = [];
  racks.forEach((rack, r) => {
    for (let ordinal = 0; ordinal < perRack[r]!; ordinal++) {
      const pod = podName(dc, rack, ordinal);
      const i = nodes.length;
      nodes.push({
        pod,
        rack,
        ordinal,
        seed: ordinal < seedsPerRack[r]!,
        // One /24 per datacenter (more for huge ones), picked from its uid: distinct across datacenters in practice.
        ip: `10.${a}.${(b + Math.floor(i / 254)) % 256}.${(i % 254) + 1}`,
        hostID: uuidFrom(`${dc.metadata.uid}/${pod}`),
      });
    }
  });
  return nodes;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function uuidFrom(text: string): string {
  const hex = digest(text).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
