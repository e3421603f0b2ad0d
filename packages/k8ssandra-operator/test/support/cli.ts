import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The package folder, where the CLI runs from. */
export const pkgDir = fileURLToPath(new URL("../..", import.meta.url));
/** Node's arguments that run the CLI from source, as `npm run cli` does. */
export const CLI = ["--conditions=operator-ts-source", "src/cli/main.ts"];

const execFileP = promisify(execFile);

/** Runs the CLI from source to its end; a failure is an exit code, not a rejection. */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [...CLI, ...args], { cwd: pkgDir, env: { ...process.env, LOG_LEVEL: "warn" }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
