import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ScaffoldError } from "./names.ts";

/** operator-ts.json, kubebuilder's PROJECT file: what init and each create were asked for, read by the next create. */
export interface ProjectFile {
  version: 1;
  projectName: string;
  domain: string;
  resources: ResourceEntry[];
}

export interface ResourceEntry {
  /** The short group ("webapp"); the API group is `${group}.${domain}`. */
  group: string;
  version: string;
  kind: string;
  controller: boolean;
  webhooks?: { defaulting: boolean; validation: boolean };
}

export const PROJECT_FILE = "operator-ts.json";

export function readProject(dir: string): ProjectFile {
  const path = join(dir, PROJECT_FILE);
  if (!existsSync(path)) throw new ScaffoldError(`${path} not found: run this in a project made by create-operator-ts (or \`operator-ts init\`)`);
  const project = JSON.parse(readFileSync(path, "utf8")) as ProjectFile;
  if (project.version !== 1) throw new ScaffoldError(`${path}: version ${String(project.version)} is not one this scaffold knows (1)`);
  return project;
}

export function projectJson(project: ProjectFile): string {
  return `${JSON.stringify(project, null, 2)}\n`;
}

/** Writes files under dir; an existing file is refused, so a scaffold never overwrites what the author wrote. */
export function writeFiles(dir: string, files: Map<string, string>, options: { force?: boolean } = {}): string[] {
  if (!options.force) {
    const existing = [...files.keys()].filter((f) => existsSync(join(dir, f)));
    if (existing.length) throw new ScaffoldError(`would overwrite ${existing.join(", ")} in ${dir}; move them away or pass --force`);
  }
  for (const [file, content] of files) {
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return [...files.keys()];
}

/**
 * Puts line just above the marker comment, at the marker's indentation, as kubebuilder's `+kubebuilder:scaffold`
 * markers work; a line already there is not added twice.
 */
export function insertAtMarker(source: string, marker: string, line: string, file: string): string {
  const lines = source.split("\n");
  const at = lines.findIndex((l) => l.trim() === `// ${marker}`);
  if (at < 0) throw new ScaffoldError(`${file} lost its "// ${marker}" comment, where the scaffold adds code; put it back where the new line belongs`);
  const indent = /^\s*/.exec(lines[at]!)![0];
  if (lines.some((l) => l.trim() === line.trim())) return source;
  lines.splice(at, 0, `${indent}${line}`);
  return lines.join("\n");
}

/** A project file with edit applied, not yet written: every edit is checked before any file is touched. */
export function editedFile(dir: string, file: string, edit: (source: string) => string): string {
  const path = join(dir, file);
  if (!existsSync(path)) throw new ScaffoldError(`${path} not found; the scaffold edits it to wire the new code in`);
  return edit(readFileSync(path, "utf8"));
}
