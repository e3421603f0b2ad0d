import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { reaper } from "./reaper.ts";

export interface ManagedProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** A binary run in the background with its output in a log file, registered with the reaper until stopped. */
export class ManagedProcess {
  readonly name: string;
  private child: ChildProcess | undefined;
  private paused = false;
  private exit: Promise<number | null> | undefined;
  private log: WriteStream | undefined;
  private readonly binary: string;
  private readonly args: string[];
  readonly logFile: string;
  private readonly options: ManagedProcessOptions;

  constructor(binary: string, args: string[], logFile: string, options: ManagedProcessOptions = {}) {
    this.binary = binary;
    this.args = args;
    this.logFile = logFile;
    this.options = options;
    this.name = basename(binary);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) return;
    this.log = createWriteStream(this.logFile, { flags: "a" });
    const child = spawn(this.binary, this.args, { ...this.options, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.child = child;
    const pid = child.pid;
    if (pid) reaper.watchProcess(pid);
    this.exit = new Promise((resolve) => {
      child.on("error", (err) => {
        this.log?.write(`\nfailed to start ${this.binary}: ${err.message}\n`);
        resolve(-1);
      });
      child.on("exit", (code) => {
        if (pid) reaper.forgetProcess(pid);
        resolve(code);
      });
    });
  }

  /** Resolves when the process exits by itself; used to fail fast while waiting for readiness. */
  exited(): Promise<number | null> {
    return this.exit ?? Promise.resolve(null);
  }

  /** SIGSTOP: the process keeps its sockets open but answers nothing, as a hung or partitioned server does. */
  pause(): void {
    if (!this.running) throw new Error(`${this.name} is not running`);
    this.child!.kill("SIGSTOP");
    this.paused = true;
  }

  resume(): void {
    if (this.running) this.child!.kill("SIGCONT");
    this.paused = false;
  }

  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) {
      this.log?.end();
      return;
    }
    child.kill("SIGTERM");
    // A stopped process only acts on SIGTERM once it runs again.
    if (this.paused) this.resume();
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.exit;
    clearTimeout(timer);
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
  }

  async logTail(lines = 40): Promise<string> {
    const text = await readFile(this.logFile, "utf8").catch(() => "");
    return text.split("\n").slice(-lines).join("\n");
  }
}
