#!/usr/bin/env node
import { launch } from "@operator-ts/runtime/launch";

await launch("cli/main", new URL("../", import.meta.url));
