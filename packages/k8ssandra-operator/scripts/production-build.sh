#!/usr/bin/env bash
# The production build of the K8ssandra operator, as its image holds it. The Dockerfile runs it, and so does
# test/production-build.test.ts, which then starts the operator from <out>: what the test runs is what the image runs.
#
#   production-build.sh <workspace> <out>
#
# <workspace> is a copy of the repository (the image's build context, without node_modules or dist): it is installed
# (npm ci), built (tsup) and pruned to production dependencies in place. <out> is made to hold only what the image
# holds: the root package files, the production node_modules, and for each package the operator runs on its
# package.json and dist (and the operator's config/, whose RBAC the CLI reads).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <workspace> <out>" >&2; exit 2; }
workspace=$(cd "$1" && pwd)
out=$2
packages=(runtime multicluster k8ssandra-operator)

cd "$workspace"
npm ci --ignore-scripts --no-audit --no-fund
npm run build "${packages[@]/#/--workspace=@operator-ts/}"
test -f packages/k8ssandra-operator/dist/cli/main.js
npm prune --omit=dev --ignore-scripts --no-audit --no-fund

mkdir -p "$out"
cp package.json package-lock.json "$out/"
cp -a node_modules "$out/"
for pkg in "${packages[@]}"; do
  mkdir -p "$out/packages/$pkg"
  cp -a "packages/$pkg/package.json" "packages/$pkg/dist" "$out/packages/$pkg/"
  # Dependencies npm could not hoist (another version is at the top) sit beside the package.
  if [ -d "packages/$pkg/node_modules" ]; then cp -a "packages/$pkg/node_modules" "$out/packages/$pkg/"; fi
done
cp -a packages/k8ssandra-operator/config "$out/packages/k8ssandra-operator/"
# Workspace packages are links in node_modules; those to packages the image does not hold (the examples) would dangle.
for link in "$out"/node_modules/@operator-ts/*; do
  [ -e "$link" ] || rm "$link"
done
