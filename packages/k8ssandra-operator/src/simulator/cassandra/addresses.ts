import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { alive, cacheRoot, reaper } from "@operator-ts/runtime/envtest";

/** One datacenter's share of loopback: 127.0.<subnet>.<node>, held by this process until released. */
export interface SubnetClaim {
  subnet: number;
  release(): void;
}

function claimsDir(): string {
  return join(cacheRoot(), "cassandra", "subnets");
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A 127.0.N.0/24 that no other process on this machine holds, for one datacenter's nodes: every node binds the
 * standard ports (7000 gossip, 9042 CQL) on its own address, so two stand-ins (two data planes of one test, or two
 * test workers) must never share a subnet. A claim file naming our pid reserves it; a claim whose owner died is
 * taken over; the reaper removes ours if we die.
 */
export async function claimSubnet(): Promise<SubnetClaim> {
  const dir = claimsDir();
  mkdirSync(dir, { recursive: true });
  for (let subnet = 1; subnet < 255; subnet++) {
    const file = join(dir, String(subnet));
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(readFileSync(file, "utf8").trim());
      if (owner > 0 && alive(owner)) continue;
      rmSync(file, { force: true });
      subnet--;
      continue;
    }
    // Something else (not a stand-in) may be listening there: leave that subnet alone.
    if (!(await canBind(`127.0.${subnet}.1`, 9042)) || !(await canBind(`127.0.${subnet}.1`, 7000))) {
      rmSync(file, { force: true });
      continue;
    }
    reaper.watchFile(file);
    return {
      subnet,
      release: () => {
        rmSync(file, { force: true });
        reaper.forgetFile(file);
      },
    };
  }
  throw new Error("no free 127.0.N.0/24 subnet for a Cassandra datacenter (all 254 are claimed)");
}

/** The address of node n (1-based) of a subnet. */
export function nodeAddress(subnet: number, node: number): string {
  if (node < 1 || node > 254) throw new Error(`a datacenter holds at most 254 local nodes, not ${node}`);
  return `127.0.${subnet}.${node}`;
}
