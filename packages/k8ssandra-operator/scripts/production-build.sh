#!/usr/bin/env bash
# The production build of the K8ssandra operator, as its image holds it in /app. build-image.sh runs it and lays the
# image's build context from its output; test/image.test.ts runs that and starts the image.
#
#   production-build.sh <workspace> <out>
#
# <workspace> is a copy of the repository (git's files, without node_modules or dist): it is installed (npm ci) and the
# operator is bundled in place (tsup.bundle.config.ts: src/cli/main.ts and all it imports, workspace packages and npm
# dependencies, in one tree-shaken file). <out> receives only what the image holds: the operator's package.json (the
# CLI reads its version), config/ (its RBAC, which create-clientconfig reads) and dist/cli/main.js with its source map;
# no node_modules.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <workspace> <out>" >&2; exit 2; }
workspace=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
pkg=packages/k8ssandra-operator
started=$SECONDS

cd "$workspace"
echo "production-build: [1/3] npm ci" >&2
npm ci --ignore-scripts --no-audit --no-fund
echo "production-build: [2/3] bundle ($(( SECONDS - started )) s)" >&2
(cd "$pkg" && ../../node_modules/.bin/tsup --config tsup.bundle.config.ts)
test -f "$pkg/dist/bundle/cli/main.js"

echo "production-build: [3/3] gather into $out ($(( SECONDS - started )) s)" >&2
mkdir -p "$out/dist/cli"
cp "$pkg/package.json" "$out/"
cp -a "$pkg/config" "$out/"
cp "$pkg/dist/bundle/cli/main.js" "$pkg/dist/bundle/cli/main.js.map" "$out/dist/cli/"
echo "production-build: done in $(( SECONDS - started )) s" >&2
