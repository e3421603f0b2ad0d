#!/usr/bin/env node
// In a checkout (src/ beside dist/) the TypeScript source runs, so the scaffold works before any build and never
// runs a stale one; an installed package holds only dist/.
import { existsSync } from "node:fs";

const source = new URL("../src/cli.ts", import.meta.url);
await import(existsSync(source) ? source.href : new URL("../dist/cli.js", import.meta.url).href);
