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

export function procRssBytes(pid: number | undefined, field: "VmRSS" | "VmHWM" = "VmRSS"): number {
  if (!pid) return 0;
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}
