import { type ChildProcess, spawn } from "node:child_process";

/*
 * A small watchdog process that outlives a killed test runner: it holds the read end of a pipe from us, and when
 * that pipe closes (we exited, crashed, or were killed with SIGKILL) it kills every process and removes every
 * folder we told it about. It runs in its own process group and ignores SIGINT/SIGTERM so that Ctrl-C on the test
 * runner cannot take it down before it has cleaned up.
 */
const REAPER_SOURCE = `
const { rmSync } = require("node:fs");
const pids = new Set();
const dirs = new Set();
const files = new Set();
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => {});
let buffer = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffer += chunk;
  const lines = buffer.split("\\n");
  buffer = lines.pop();
  for (const line of lines) {
    const [verb, kind, ...rest] = line.split(" ");
    const arg = rest.join(" ");
    const set = kind === "pid" ? pids : kind === "dir" ? dirs : files;
    const value = kind === "pid" ? Number(arg) : arg;
    if (verb === "add") set.add(value); else set.delete(value);
  }
});
function alive(pid) { try { process.kill(pid, 0); return true; } catch { return false; } }
process.stdin.on("end", () => {
  for (const pid of pids) { try { process.kill(pid, "SIGKILL"); } catch {} }
  const deadline = Date.now() + 5000;
  const finish = () => {
    if ([...pids].some(alive) && Date.now() < deadline) return setTimeout(finish, 50);
    for (const dir of dirs) { try { rmSync(dir, { recursive: true, force: true }); } catch {} }
    for (const file of files) { try { rmSync(file, { force: true }); } catch {} }
    process.exit(0);
  };
  finish();
});
`;

export class Reaper {
  private child: ChildProcess | undefined;

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn(process.execPath, ["-e", REAPER_SOURCE], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    });
    child.unref();
    // The pipe must not keep the test process alive, or a runner that forgot stop() would hang instead of exiting.
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    child.stdin?.on("error", () => {});
    this.child = child;
    return child;
  }

  private send(line: string): void {
    this.ensure().stdin?.write(`${line}\n`);
  }

  watchProcess(pid: number): void {
    this.send(`add pid ${pid}`);
  }

  forgetProcess(pid: number): void {
    this.send(`del pid ${pid}`);
  }

  watchDir(path: string): void {
    this.send(`add dir ${path}`);
  }

  forgetDir(path: string): void {
    this.send(`del dir ${path}`);
  }

  watchFile(path: string): void {
    this.send(`add file ${path}`);
  }

  forgetFile(path: string): void {
    this.send(`del file ${path}`);
  }
}

/** One reaper per test process is enough; it is started on first use. */
export const reaper = new Reaper();
