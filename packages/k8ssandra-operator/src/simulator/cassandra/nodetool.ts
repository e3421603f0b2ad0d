import { spawn } from "node:child_process";
import { reaper } from "@operator-ts/runtime/envtest";
import { JAVA17_MODULE_ACCESS } from "./jvm.ts";

export interface NodetoolTarget {
  classpath: string;
  jmxPort: number;
  /** A logback configuration for the client (its built-in default prints DEBUG lines). */
  logback: string;
}

/**
 * Runs `nodetool <args>` against one node's JMX port, as cass-operator's management API does inside the pod. A short
 * client JVM (small heap, quick JIT); rejects with the tail of its output on a non-zero exit or on abort.
 */
export function nodetool(target: NodetoolTarget, args: string[], signal?: AbortSignal): Promise<string> {
  const javaArgs = [
    "-Xmx128m",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-Djava.net.preferIPv4Stack=true",
    // nodetool loads the same internals (FileUtils and friends) as the server.
    ...JAVA17_MODULE_ACCESS,
    `-Dlogback.configurationFile=${target.logback}`,
    "-cp",
    target.classpath,
    "org.apache.cassandra.tools.NodeTool",
    "-h",
    "127.0.0.1",
    "-p",
    String(target.jmxPort),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("java", javaArgs, { stdio: ["ignore", "pipe", "pipe"], signal });
    const pid = child.pid;
    if (pid) reaper.watchProcess(pid);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", (err) => reject(new Error(`nodetool ${args.join(" ")}: ${err.message}`)));
    child.on("close", (code) => {
      if (pid) reaper.forgetProcess(pid);
      if (code === 0) resolve(out);
      else {
        // nodetool reports a failure as "error: <message>" (or "nodetool: <message>") among usage hints and a stack
        // trace: the message leads.
        const lines = out.trim().split("\n");
        const reason = lines.find((l) => /^(error|nodetool):/.test(l))?.replace(/^(error|nodetool):/, "").trim() ?? lines.at(-1) ?? "";
        reject(new Error(`nodetool ${args.join(" ")} exited with ${code}: ${reason}\n${lines.slice(-10).join("\n")}`));
      }
    });
  });
}
