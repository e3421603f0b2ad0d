#!/usr/bin/env node
import { launch } from "@operator-ts/runtime/launch";

await launch("preflight/cli", new URL("../", import.meta.url));
