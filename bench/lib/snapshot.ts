// `--at REV`: the TS programs run from a committed tree instead of the working tree, so that edits in progress in
// other folders (a half-saved file in packages/) cannot break or skew a run. The tree is `git archive` of the commit,
// with node_modules made of links: registry packages point at the working tree's, our workspaces at the snapshot's.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..", "..");

async function linkModules(from: string, to: string, snapshot: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from)) {
    const src = join(from, entry);
    const st = await lstat(src);
    if (st.isSymbolicLink()) {
      const target = resolve(dirname(src), await readlink(src));
      // A workspace link (../../packages/runtime) points into the snapshot; anything else stays where it is.
      const inside = target.startsWith(`${ROOT}/`) && !target.includes("/node_modules/");
      await symlink(inside ? join(snapshot, target.slice(ROOT.length + 1)) : target, join(to, entry));
    } else if (entry.startsWith("@") && st.isDirectory()) {
      await linkModules(src, join(to, entry), snapshot);
    } else {
      await symlink(src, join(to, entry));
    }
  }
}

/** The folder holding `rev`'s packages and bench, ready to run; made once per commit under ~/.cache. */
export async function snapshotTree(rev: string, say: (line: string) => void): Promise<string> {
  const sha = execFileSync("git", ["rev-parse", "--verify", `${rev}^{commit}`], { cwd: ROOT, encoding: "utf8" }).trim();
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "operator-ts", "bench", `tree-${sha.slice(0, 12)}`);
  if (existsSync(join(dir, ".complete"))) {
    say(`TS programs from commit ${sha.slice(0, 12)} (cached tree ${dir})`);
    return dir;
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const archive = execFileSync("git", ["archive", "--format=tar", sha, "packages", "examples", "bench", "package.json"], { cwd: ROOT, maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", tmp], { input: archive });
  // Workspaces root node_modules, then the few that have their own (dependencies not hoisted).
  const root = join(ROOT, "node_modules");
  const ws = [...(await readdir(join(ROOT, "packages"))).map((p) => `packages/${p}`), ...(await readdir(join(ROOT, "examples"))).map((p) => `examples/${p}`)];
  const rootModules = join(tmp, "node_modules");
  await linkModules(root, rootModules, dir);
  for (const w of ws) {
    if (existsSync(join(ROOT, w, "node_modules")) && existsSync(join(tmp, w))) await linkModules(join(ROOT, w, "node_modules"), join(tmp, w, "node_modules"), dir);
  }
  await writeFile(join(tmp, ".complete"), `${sha}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  say(`TS programs from commit ${sha.slice(0, 12)} (tree in ${dir})`);
  return dir;
}
