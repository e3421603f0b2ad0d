import { existsSync } from "node:fs";
import { basename } from "node:path";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, newLogger, setLogger } from "../log/index.ts";
import type { ManagerOptions } from "../manager/manager.ts";

/** A flag of the program's own, beside the standard ones: node:util parseArgs' option, with a line for --help. */
export type FlagConfig = ParseArgsOptionsConfig[string] & { description?: string };

export interface FlagsOptions<O extends Record<string, FlagConfig>> {
  /** Default process.argv.slice(2). */
  args?: string[];
  /** The program's own flags. */
  flags?: O;
  /** Defaults of the standard flags (kubebuilder's: :8080, :8081, no leader election). */
  defaults?: { metricsBindAddress?: string; healthProbeBindAddress?: string; leaderElect?: boolean };
  /** The name --help shows; default the script's file name. */
  program?: string;
  /** On a bad flag (or --help), print the message (or usage) and exit with 2 (0); default true. Else a FlagError is thrown. */
  exitOnError?: boolean;
}

export class FlagError extends Error {
  override readonly name = "FlagError";
  readonly usage: string;
  /** True when --help asked for the usage: not a failure. */
  readonly help: boolean;
  constructor(message: string, usage: string, help = false) {
    super(message);
    this.usage = usage;
    this.help = help;
  }
}

const STANDARD = {
  kubeconfig: { type: "string", description: "path to a kubeconfig; default $KUBECONFIG, ~/.kube/config, or in-cluster" },
  context: { type: "string", description: "the kubeconfig context to use; default its current-context" },
  "metrics-bind-address": { type: "string", description: 'address /metrics listens on ("0" disables it)' },
  "health-probe-bind-address": { type: "string", description: 'address /healthz and /readyz listen on ("0" disables them)' },
  "leader-elect": { type: "boolean", description: "elect a leader (a Lease) so that only one replica reconciles" },
  "leader-election-namespace": { type: "string", description: "namespace of the Lease; default the pod's, else default" },
  "log-level": { type: "string", description: `${LOG_LEVELS.join(", ")}; default $LOG_LEVEL, else info` },
  "log-format": { type: "string", description: `${LOG_FORMATS.join(" or ")} (readable lines for a terminal); default $LOG_FORMAT, else json` },
  help: { type: "boolean", short: "h", description: "show this help" },
} as const satisfies Record<string, FlagConfig>;

type Config<O extends Record<string, FlagConfig>> = { options: typeof STANDARD & O; allowPositionals: true; strict: true };
type Values<O extends Record<string, FlagConfig>> = ReturnType<typeof parseArgs<Config<O>>>["values"];

/** What the standard flags say, ready for Manager.create (or MultiClusterManager.create). */
export interface StandardFlags<O extends Record<string, FlagConfig> = Record<never, FlagConfig>> {
  kubeconfig: KubeConfig;
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  leaderElection: boolean;
  leaderElectionNamespace: string | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** The ManagerOptions these flags set: `Manager.create({ ...flags.managerOptions, leaderElectionID: "..." })`. */
  managerOptions: Pick<ManagerOptions, "kubeconfig" | "metricsBindAddress" | "healthProbeBindAddress" | "leaderElection" | "leaderElectionNamespace">;
  /** Every flag's value, the program's own among them. */
  values: Values<O>;
  positionals: string[];
}

function usageOf(program: string, options: Record<string, FlagConfig>, defaults: Record<string, unknown>): string {
  const rows = Object.entries(options).map(([name, o]) => {
    const left = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.type === "string" ? " <value>" : ""}`;
    const fallback = defaults[name] ?? o.default;
    return `  ${left.padEnd(40)} ${o.description ?? ""}${fallback !== undefined && fallback !== false ? ` (default ${JSON.stringify(fallback)})` : ""}`;
  });
  return `usage: ${program} [flags]\n\n${rows.join("\n")}`;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[], usage: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new FlagError(`--${flag} is "${value}"; it must be one of ${allowed.join(", ")}`, usage);
  return value as T;
}

/**
 * The flags every operator takes, as kubebuilder's main.go defines them (`--kubeconfig`, `--metrics-bind-address`,
 * `--health-probe-bind-address`, `--leader-elect`, `--log-level`, plus `--context`, `--leader-election-namespace`,
 * `--log-format` and `--help`), and the program's own. Sets the runtime's logger from the log flags, loads the
 * kubeconfig, and returns what Manager.create takes:
 *
 *   const flags = parseStandardFlags({ flags: { namespace: { type: "string", description: "watch only this namespace" } } });
 *   const mgr = await Manager.create({ ...flags.managerOptions, leaderElectionID: "86f835c3.example.com" });
 *   flags.values.namespace; // string | undefined
 */
export function parseStandardFlags<const O extends Record<string, FlagConfig> = Record<never, FlagConfig>>(options: FlagsOptions<O> = {}): StandardFlags<O> {
  const defaults = {
    "metrics-bind-address": options.defaults?.metricsBindAddress ?? ":8080",
    "health-probe-bind-address": options.defaults?.healthProbeBindAddress ?? ":8081",
    "leader-elect": options.defaults?.leaderElect ?? false,
  };
  const all = { ...STANDARD, ...options.flags } as typeof STANDARD & O;
  const program = options.program ?? (process.argv[1] ? basename(process.argv[1]) : "operator");
  const usage = usageOf(program, all, defaults);
  try {
    return parse(options, all, defaults, usage);
  } catch (err) {
    if (options.exitOnError === false) throw err;
    if (err instanceof FlagError && err.help) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    process.stderr.write(`${program}: ${(err as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
}

function parse<O extends Record<string, FlagConfig>>(
  options: FlagsOptions<O>,
  all: typeof STANDARD & O,
  defaults: { "metrics-bind-address": string; "health-probe-bind-address": string; "leader-elect": boolean },
  usage: string,
): StandardFlags<O> {
  const config = Object.fromEntries(Object.entries(all).map(([name, { description: _, ...o }]) => [name, o])) as ParseArgsOptionsConfig;
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: options.args ?? process.argv.slice(2), options: config, allowPositionals: true, strict: true });
  } catch (err) {
    throw new FlagError((err as Error).message, usage);
  }
  const v = parsed.values;
  if (v.help) throw new FlagError("help", usage, true);
  const logLevel = oneOf("log-level", (v["log-level"] as string | undefined) ?? (process.env.LOG_LEVEL || "info"), LOG_LEVELS, usage);
  const logFormat = oneOf("log-format", (v["log-format"] as string | undefined) ?? (process.env.LOG_FORMAT || "json"), LOG_FORMATS, usage);
  setLogger(newLogger({ level: logLevel, format: logFormat }));

  const kubeconfig = new KubeConfig();
  const path = v.kubeconfig as string | undefined;
  if (path) {
    if (!existsSync(path)) throw new FlagError(`--kubeconfig ${path}: no such file`, usage);
    kubeconfig.loadFromFile(path);
  } else {
    kubeconfig.loadFromDefault();
  }
  const context = v.context as string | undefined;
  if (context) {
    if (!kubeconfig.getContextObject(context)) {
      throw new FlagError(`--context ${context}: the kubeconfig has no such context (it has ${kubeconfig.getContexts().map((c) => c.name).join(", ") || "none"})`, usage);
    }
    kubeconfig.setCurrentContext(context);
  }
  const metricsBindAddress = (v["metrics-bind-address"] as string | undefined) ?? defaults["metrics-bind-address"];
  const healthProbeBindAddress = (v["health-probe-bind-address"] as string | undefined) ?? defaults["health-probe-bind-address"];
  const leaderElection = (v["leader-elect"] as boolean | undefined) ?? defaults["leader-elect"];
  const leaderElectionNamespace = v["leader-election-namespace"] as string | undefined;
  return {
    kubeconfig,
    metricsBindAddress,
    healthProbeBindAddress,
    leaderElection,
    leaderElectionNamespace,
    logLevel,
    logFormat,
    managerOptions: { kubeconfig, metricsBindAddress, healthProbeBindAddress, leaderElection, ...(leaderElectionNamespace ? { leaderElectionNamespace } : {}) },
    values: v as Values<O>,
    positionals: parsed.positionals,
  };
}
