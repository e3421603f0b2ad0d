import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheRoot, withFileLock } from "@operator-ts/runtime/envtest";

/** The Cassandra release the stand-in runs unless told otherwise (the newest 5.0.x Maven Central serves). */
export const DEFAULT_CASSANDRA_VERSION = "5.0.9";

export interface CassandraDistribution {
  version: string;
  /** The folder holding cassandra-all and every runtime dependency jar. */
  lib: string;
  /** The JVM class path: every jar of lib. */
  classpath: string;
}

export interface ResolveOptions {
  version?: string;
  /** Defaults to $OPERATOR_TS_CACHE or the user cache folder, as for the envtest binaries. */
  cacheDir?: string;
  /** Progress lines; defaults to stderr. */
  log?: (line: string) => void;
}

/**
 * Cassandra's server jar and its runtime dependencies from Maven Central, resolved once per version into the user
 * cache (beside the envtest binaries) with `mvn dependency:copy-dependencies` on a generated pom. Parallel callers
 * share the work through the envtest cross-process lock; the folder appears only once complete.
 */
export async function ensureCassandra(options: ResolveOptions = {}): Promise<CassandraDistribution> {
  const version = options.version ?? process.env.OPERATOR_TS_CASSANDRA_VERSION ?? DEFAULT_CASSANDRA_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`Cassandra version must look like 5.0.9, not "${version}"`);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = join(options.cacheDir ?? cacheRoot(), "cassandra", version);
  const lib = join(dir, "lib");
  if (!(await complete(lib))) {
    await withFileLock(`${dir}.lock`, async () => {
      if (!(await complete(lib))) await resolve(version, dir, log);
    });
  }
  const jars = (await readdir(lib)).filter((f) => f.endsWith(".jar")).sort();
  return { version, lib, classpath: jars.map((j) => join(lib, j)).join(":") };
}

async function complete(lib: string): Promise<boolean> {
  return stat(join(lib, ".complete")).then(
    () => true,
    () => false,
  );
}

function pom(version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.operator-ts</groupId>
  <artifactId>cassandra-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

async function resolve(version: string, dir: string, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  log(`cassandra: resolving org.apache.cassandra:cassandra-all:${version} and its dependencies from Maven Central into ${dir}; this happens once per version`);
  const work = await mkdtemp(join(tmpdir(), "operator-ts-cassandra-pom-"));
  const staging = join(dir, ".lib-staging");
  try {
    await writeFile(join(work, "pom.xml"), pom(version));
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    let downloaded = 0;
    const ticker = setInterval(() => log(`cassandra: resolving: ${downloaded} artifacts downloaded, ${Math.round((Date.now() - started) / 1000)}s`), 5000);
    try {
      await mvn(work, ["-B", "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${staging}`], (line) => {
        if (/Downloaded from/.test(line)) downloaded++;
      });
    } finally {
      clearInterval(ticker);
    }
    const jars = (await readdir(staging)).filter((f) => f.endsWith(".jar"));
    if (!jars.some((j) => j.startsWith(`cassandra-all-${version}`))) throw new Error(`Maven finished but cassandra-all-${version}.jar is not among ${jars.length} jars`);
    await writeFile(join(staging, ".complete"), `${new Date().toISOString()}\n`);
    await rm(join(dir, "lib"), { recursive: true, force: true });
    await rename(staging, join(dir, "lib"));
    log(`cassandra: resolved ${jars.length} jars in ${Math.round((Date.now() - started) / 1000)}s`);
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

function mvn(cwd: string, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("mvn", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    let partial = "";
    const take = (d: Buffer) => {
      const text = d.toString();
      tail = (tail + text).slice(-8000);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (err) => reject(new Error(`Maven (mvn) is needed to fetch Cassandra's jars and could not be run: ${err.message}`)));
    child.on("close", (code) => (code === 0 ? resolvePromise() : reject(new Error(`mvn ${args.join(" ")} exited with ${code}\n${tail}`))));
  });
}
