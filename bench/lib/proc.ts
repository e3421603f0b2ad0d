// Child programs of the harness: spawned with their own process (so RSS and CPU are theirs alone), read through the
// "BENCH {json}" lines they print, and killed if they outlive their deadline.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

export type Impl = "ts" | "go";

export interface Event {
  event: string;
  [key: string]: unknown;
}

export class ProgramError extends Error {
  override readonly name = "ProgramError";
}

/** A running child program and the protocol events it has printed, in order. */
export class Program {
  readonly label: string;
  readonly child: ChildProcess;
  readonly spawnedMs: number;
  private readonly events: Event[] = [];
  private readonly waiters: { name: string; resolve: (e: Event) => void; reject: (err: Error) => void }[] = [];
  private readonly stderrTail: string[] = [];
  private exited: { code: number | null; signal: string | null } | undefined;
  readonly exitedPromise: Promise<void>;

  /**
   * `translate` reads the other lines of stdout as events too, for a program that does not speak the protocol (the
   * built operator's CLI, whose log lines say when it is ready).
   */
  constructor(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}, translate?: (line: string) => Event | undefined) {
    this.label = label;
    this.spawnedMs = performance.timeOrigin + performance.now();
    this.child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      let e: Event | undefined;
      if (line.startsWith("BENCH ")) {
        try {
          e = JSON.parse(line.slice(6)) as Event;
        } catch {
          return;
        }
      } else {
        e = translate?.(line);
      }
      if (!e) return;
      this.events.push(e);
      this.dispatch();
    });
    createInterface({ input: this.child.stderr! }).on("line", (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 30) this.stderrTail.shift();
    });
    this.exitedPromise = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exited = { code, signal };
        this.dispatch();
        resolve();
      });
      this.child.on("error", (err) => {
        this.stderrTail.push(String(err));
        this.exited = { code: -1, signal: null };
        this.dispatch();
        resolve();
      });
    });
  }

  /** The last lines the program wrote to stderr, to tell why it failed. */
  stderrLines(): string[] {
    return [...this.stderrTail];
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private dispatch(): void {
    for (const w of [...this.waiters]) {
      const hit = this.events.find((e) => e.event === w.name);
      const error = this.events.find((e) => e.event === "error");
      if (hit) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(hit);
      } else if (error || this.exited) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        const why = error ? String(error.message) : `exited (code ${this.exited!.code}, signal ${this.exited!.signal})`;
        w.reject(new ProgramError(`${this.label}: ${why} before "${w.name}"${this.stderrTail.length ? `\n  ${this.stderrTail.slice(-8).join("\n  ")}` : ""}`));
      }
    }
  }

  /** The first event of that name; rejects when the program fails, exits or the deadline passes first. */
  waitFor(name: string, timeoutMs: number): Promise<Event> {
    return new Promise<Event>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.resolve === done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new ProgramError(`${this.label}: no "${name}" within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      const done = (e: Event) => {
        clearTimeout(timer);
        resolve(e);
      };
      this.waiters.push({ name, resolve: done, reject: (err) => (clearTimeout(timer), reject(err)) });
      this.dispatch();
    });
  }

  /** CPU seconds (user + system) the process has used so far, from /proc. */
  cpuSeconds(): number {
    return procCpuSeconds(this.pid);
  }

  rssBytes(): number {
    return procRssBytes(this.pid);
  }

  /** The RSS of anonymous memory (heaps) and of mapped files (code), which make up most of rssBytes(). */
  rssParts(): { anon: number; file: number; brk: number; largestAnon: number[] } {
    return { anon: procRssBytes(this.pid, "RssAnon"), file: procRssBytes(this.pid, "RssFile"), ...anonMappings(this.pid) };
  }

  /** The most RSS the process has had since it started (the kernel's VmHWM). */
  peakRssBytes(): number {
    return procRssBytes(this.pid, "VmHWM");
  }

  /** Ends the program: SIGTERM, then SIGKILL if it lingers. Safe to call twice. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exitedPromise;
    clearTimeout(timer);
  }
}

const CLOCK_TICKS = 100;

export function procCpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** VmRSS is RssAnon (heaps: V8's and malloc's) + RssFile (mapped files: the binary, its libraries) + RssShmem. */
export function procRssBytes(pid: number | undefined, field: "VmRSS" | "VmHWM" | "RssAnon" | "RssFile" = "VmRSS"): number {
  if (!pid) return 0;
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * From /proc/<pid>/smaps: the RSS of the brk heap (malloc's main arena) and of the largest anonymous mappings (V8's
 * spaces, malloc's other arenas and its large blocks), to tell which allocator holds the memory.
 */
function anonMappings(pid: number | undefined): { brk: number; largestAnon: number[] } {
  const result = { brk: 0, largestAnon: [] as number[] };
  if (!pid) return result;
  try {
    const sizes: number[] = [];
    let name: string | undefined;
    for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
      const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
      if (mapping) {
        name = mapping[1];
        continue;
      }
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (!rss) continue;
      const bytes = Number(rss[1]) * 1024;
      if (name === "[heap]") result.brk += bytes;
      else if (!name) sizes.push(bytes);
    }
    result.largestAnon = sizes.sort((a, b) => b - a).slice(0, 8);
  } catch {
    // The process has gone.
  }
  return result;
}
