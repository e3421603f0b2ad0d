import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alive } from "./lock.ts";

const claimsDir = join(tmpdir(), "operator-ts-ports");

function ownerAlive(file: string): boolean {
  const pid = Number(readFileSync(file, "utf8").trim());
  return pid > 0 && alive(pid);
}

function osFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * A free loopback port that no other test worker on this machine holds: the OS picks an unused port, and a claim
 * file (created exclusively, naming our pid) keeps parallel workers from being handed the same one before the
 * process that will bind it has started.
 */
export async function claimPort(host = "127.0.0.1"): Promise<PortClaim> {
  mkdirSync(claimsDir, { recursive: true });
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await osFreePort(host);
    const file = join(claimsDir, String(port));
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return { port, file, release: () => rmSync(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (!ownerAlive(file)) rmSync(file, { force: true });
    }
  }
  throw new Error("could not claim a free loopback port after 100 attempts");
}

export interface PortClaim {
  port: number;
  file: string;
  release(): void;
}
