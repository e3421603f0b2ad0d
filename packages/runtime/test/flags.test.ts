import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { FlagError, parseStandardFlags } from "../src/flags/index.ts";
import { formatPretty } from "../src/log/pretty.ts";
import { getLogger, setLogger } from "../src/log/index.ts";

const kubeconfigYaml = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: { server: "https://127.0.0.1:6443" }
- name: b
  cluster: { server: "https://127.0.0.1:7443" }
users:
- name: u
  user: { token: abc }
contexts:
- name: a
  context: { cluster: a, user: u }
- name: b
  context: { cluster: b, user: u }
current-context: a
`;

describe("parseStandardFlags", () => {
  let dir: string;
  let kubeconfig: string;
  const logger = getLogger();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "flags-"));
    kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, kubeconfigYaml);
  });
  afterAll(async () => {
    setLogger(logger);
    await rm(dir, { recursive: true, force: true });
  });

  it("gives kubebuilder's defaults and the ManagerOptions they set", () => {
    const flags = parseStandardFlags({ args: ["--kubeconfig", kubeconfig], exitOnError: false });
    expect(flags.kubeconfig.getCurrentCluster()?.server).toBe("https://127.0.0.1:6443");
    expect(flags.managerOptions).toMatchObject({ metricsBindAddress: ":8080", healthProbeBindAddress: ":8081", leaderElection: false });
    expect(flags.managerOptions).not.toHaveProperty("leaderElectionNamespace");
  });

  it("reads every standard flag and the program's own, typed", () => {
    const flags = parseStandardFlags({
      args: ["--kubeconfig", kubeconfig, "--context", "b", "--metrics-bind-address", "0", "--leader-elect", "--leader-election-namespace", "ops", "--log-level", "debug", "--namespace", "apps", "extra"],
      flags: { namespace: { type: "string", description: "watch only this namespace" }, dry: { type: "boolean" } },
      exitOnError: false,
    });
    expectTypeOf(flags.values.namespace).toEqualTypeOf<string | undefined>();
    expectTypeOf(flags.values.dry).toEqualTypeOf<boolean | undefined>();
    expect(flags.values.namespace).toBe("apps");
    expect(flags.positionals).toEqual(["extra"]);
    expect(flags.kubeconfig.getCurrentCluster()?.server).toBe("https://127.0.0.1:7443");
    expect(flags.managerOptions).toMatchObject({ metricsBindAddress: "0", leaderElection: true, leaderElectionNamespace: "ops" });
    expect(flags.logLevel).toBe("debug");
    expect(getLogger().level).toBe("debug");
  });

  it("says what is wrong with a bad flag, and lists the flags in its usage", () => {
    const attempt = (args: string[]) => () => parseStandardFlags({ args, program: "my-operator", exitOnError: false });
    expect(attempt(["--log-level", "loud"])).toThrow('--log-level is "loud"; it must be one of trace, debug, info, warn, error, fatal, silent');
    expect(attempt(["--kubeconfig", join(dir, "nope")])).toThrow(/--kubeconfig .*nope: no such file/);
    expect(attempt(["--kubeconfig", kubeconfig, "--context", "c"])).toThrow("--context c: the kubeconfig has no such context (it has a, b)");
    expect(attempt(["--bogus"])).toThrow(/Unknown option '--bogus'/);
    try {
      attempt(["--help"])();
    } catch (err) {
      expect(err).toBeInstanceOf(FlagError);
      expect((err as FlagError).help).toBe(true);
      expect((err as FlagError).usage).toMatch(/^usage: my-operator \[flags\]/);
      expect((err as FlagError).usage).toContain('--metrics-bind-address <value>');
      expect((err as FlagError).usage).toContain('(default ":8080")');
    }
  });
});

describe("pretty log lines", () => {
  it("puts time, level and message first, then the fields, without pid and hostname", () => {
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 1, 12, 4, 5, 123), pid: 1, hostname: "h", logger: "operator-ts", controller: "memcached", note: "a b", msg: "reconciled" });
    expect(formatPretty(line)).toBe('12:04:05.123 INFO  reconciled controller=memcached note="a b"\n');
    // The logger's own name is frame; an object's name is a field, even an object named like the logger.
    expect(formatPretty('{"level":30,"time":0,"logger":"operator-ts","controller":"memcached","name":"operator-ts","msg":"done"}')).toBe("00:00:00.000 INFO  done controller=memcached name=operator-ts\n");
  });

  it("keeps the name of the object a line is about apart from the logger's name, in JSON and pretty", () => {
    // A child process: the logger writes to file descriptor 1 itself, past any spy on process.stdout.
    const script = `import { newLogger } from ${JSON.stringify(new URL("../src/log/index.ts", import.meta.url).href)};
      for (const format of ["json", "pretty"]) {
        const log = newLogger({ format, level: "info" });
        log.child({ controller: "memcached", name: "cache" }).info("reconciling");
        log.info({ name: "cache-7d9f" }, "creating a new Deployment");
      }`;
    const out = execFileSync(process.execPath, ["--conditions=operator-ts-source", "--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    // pino's JSON destination writes asynchronously, so the two formats' lines may interleave.
    const lines = out.trim().split("\n");
    const [json1 = "", json2 = ""] = lines.filter((l) => l.startsWith("{"));
    const [pretty1, pretty2] = lines.filter((l) => !l.startsWith("{"));
    for (const line of [json1, json2]) expect(line.match(/"name":/g)).toHaveLength(1);
    expect(JSON.parse(json1)).toMatchObject({ logger: "operator-ts", controller: "memcached", name: "cache", msg: "reconciling" });
    expect(JSON.parse(json2)).toMatchObject({ logger: "operator-ts", name: "cache-7d9f" });
    expect(pretty1).toMatch(/ INFO  reconciling controller=memcached name=cache$/);
    expect(pretty2).toMatch(/ INFO  creating a new Deployment name=cache-7d9f$/);
  });

  it("shows an error's message in the line and its stack below at error level", () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: "reconcile failed", err: { type: "Error", message: "boom", stack: "Error: boom\n    at f (x.ts:1:1)" } });
    expect(formatPretty(line)).toBe("00:00:00.000 ERROR reconcile failed err=boom\n    at f (x.ts:1:1)\n");
  });
});
