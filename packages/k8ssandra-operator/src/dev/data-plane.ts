/**
 * Which cass-operator stand-in the demo runs: real Cassandra (one JVM per node) when this machine can run it, the
 * instant simulator otherwise or when asked. Real Cassandra 5.0 needs Java 17 or later, and Maven to fetch its jars
 * once into the user cache.
 */
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export type SimulatorKind = "cassandra" | "instant";
export type SimulatorChoice = SimulatorKind | "auto";

export interface Chosen {
  kind: SimulatorKind;
  /** Why this one, in words for the terminal. */
  reason: string;
}

/** The version `java -version` printed, with its major (17 for "17.0.15", 8 for "1.8.0_392"), or undefined. */
export function parseJavaVersion(output: string): { major: number; version: string } | undefined {
  const version = /version "([^"]+)"/.exec(output)?.[1];
  if (!version) return undefined;
  const parts = version.split(/[.+_-]/).map(Number);
  const major = parts[0] === 1 ? parts[1] : parts[0];
  return major !== undefined && Number.isInteger(major) ? { major, version } : undefined;
}

/** The java on the PATH, or undefined without one. */
export async function javaMajorVersion(): Promise<{ major: number; version: string } | undefined> {
  const output = await new Promise<string | undefined>((resolve) => {
    // java -version writes to stderr; a missing binary is an error of execFile, not an exception.
    execFile("java", ["-version"], { timeout: 20_000 }, (err, stdout, stderr) => resolve(err ? undefined : `${stderr}\n${stdout}`));
  });
  return output === undefined ? undefined : parseJavaVersion(output);
}

function onPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/**
 * Resolves `auto` by what the machine has, and refuses `cassandra` on a machine that cannot run it, saying what is
 * missing.
 */
export async function chooseSimulator(choice: SimulatorChoice): Promise<Chosen> {
  if (choice === "instant") return { kind: "instant", reason: "asked for with --simulator=instant" };
  const java = await javaMajorVersion();
  let missing: string | undefined;
  if (!java) missing = "no java on PATH, and real Cassandra 5.0 needs Java 17 or later";
  else if (java.major < 17) missing = `java ${java.version} on PATH is older than the Java 17 real Cassandra 5.0 needs`;
  else if (!onPath("mvn")) missing = "no mvn on PATH to fetch Cassandra's jars from Maven Central";
  if (missing) {
    if (choice === "cassandra") throw new Error(`--simulator=cassandra cannot run here: ${missing}`);
    return { kind: "instant", reason: `${missing}; --simulator=cassandra once it is there` };
  }
  return {
    kind: "cassandra",
    reason: `${choice === "cassandra" ? "asked for with --simulator=cassandra" : `java ${java!.version} found`}; --simulator=instant for the instant one`,
  };
}
