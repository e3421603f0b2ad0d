// `npm run webhook:manifests`: writes config/webhook/manifests.yaml. A script of its own, imported by nothing, so that
// the bundled CLI never writes into its installation.
import { writeFileSync } from "node:fs";
import { webhookManifestsYaml } from "./manifests.ts";

writeFileSync(new URL("../../config/webhook/manifests.yaml", import.meta.url), webhookManifestsYaml());
