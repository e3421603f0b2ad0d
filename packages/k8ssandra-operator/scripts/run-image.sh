#!/usr/bin/env bash
# Runs the K8ssandra operator's image (built by build-image.sh) with runc against a kubeconfig, in the foreground
# until SIGTERM or SIGINT, which reach the operator; its exit code is this script's.
#
#   run-image.sh --kubeconfig FILE [--image TAG] [--env NAME=VALUE]... [-- operator run flags...]
#
# The image is exported from buildah's storage as an OCI layout and unpacked with umoci, which writes the runtime
# config from the image's own ENTRYPOINT, CMD, USER, WORKDIR and ENV. Three changes make it run on a machine like
# this one, where podman/crun cannot: no rlimits (setting them needs CAP_SYS_RESOURCE, which root lacks here), the
# host's network namespace (the test-kit API servers listen on loopback), and the kubeconfig bind-mounted read-only
# at /var/run/k8ssandra-operator/kubeconfig. The root filesystem is read-only, as the manifests ask
# (readOnlyRootFilesystem). The kubeconfig must hold its credentials inline (certificate and token data, no file
# paths), as a Secret's or the test kit's does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
package=$(cd "$here/.." && pwd)
repo=$(cd "$package/../.." && pwd)
version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$package/package.json")
image=localhost/operator-ts/k8ssandra-operator:$version
kubeconfig=""
envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kubeconfig) kubeconfig=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 --kubeconfig FILE [--image TAG] [--env NAME=VALUE]... [-- operator run flags...]" >&2; exit 2 ;;
  esac
done
[ -n "$kubeconfig" ] || { echo "run-image: --kubeconfig FILE is required" >&2; exit 2; }
[ -r "$kubeconfig" ] || { echo "run-image: cannot read the kubeconfig $kubeconfig" >&2; exit 2; }
if grep -qE '^\s*(certificate-authority|client-certificate|client-key|tokenFile):' "$kubeconfig"; then
  echo "run-image: $kubeconfig names credential files, which the container cannot see; embed them (the *-data fields, or kubectl config view --flatten --minify)" >&2
  exit 2
fi
kubeconfig=$(cd "$(dirname "$kubeconfig")" && pwd)/$(basename "$kubeconfig")
# shellcheck source=image-tools.sh
. "$here/image-tools.sh"
image_tools_need buildah runc umoci
# shellcheck source=../../../scripts/node-env.sh
. "$repo/scripts/node-env.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/k8ssandra-operator-run-XXXXXX")
id=k8ssandra-operator-$(basename "$work" | sed 's/.*-//' | tr 'A-Z' 'a-z')
cleanup() {
  runc delete --force "$id" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
echo "run-image: unpacking $image" >&2
buildah push --quiet "$image" "oci:$work/oci:image" >/dev/null
umoci unpack --image "$work/oci:image" "$work/bundle" >/dev/null

node - "$work/bundle/config.json" "$id" "$kubeconfig" "$@" -- "${envs[@]}" <<'JS'
const { chmodSync, chownSync, copyFileSync, readFileSync, writeFileSync } = require("node:fs");
const { dirname, join } = require("node:path");
const [file, id, kubeconfig, ...rest] = process.argv.slice(2);
const split = rest.lastIndexOf("--");
const flags = rest.slice(0, split);
const envs = rest.slice(split + 1);
const config = JSON.parse(readFileSync(file, "utf8"));
delete config.process.rlimits;
config.process.terminal = false;
config.process.args.push("--kubeconfig", "/var/run/k8ssandra-operator/kubeconfig", ...flags);
for (const e of envs) {
  const name = e.split("=")[0];
  config.process.env = config.process.env.filter((v) => !v.startsWith(name + "=")).concat(e);
}
config.root.readonly = true;
// As a pod's hostname is its name (the operator logs it).
config.hostname = id;
config.linux.namespaces = config.linux.namespaces.filter((ns) => ns.type !== "network");
const bind = (source, destination) => config.mounts.push({ destination, type: "bind", source, options: ["rbind", "ro"] });
// A copy the image's user owns and alone may read: the file given is often the invoker's, mode 0600.
const copy = join(dirname(file), "kubeconfig");
copyFileSync(kubeconfig, copy);
chownSync(copy, config.process.user.uid, config.process.user.gid);
chmodSync(copy, 0o400);
bind(copy, "/var/run/k8ssandra-operator/kubeconfig");
// The host's name resolution, as a pod on the host network gets it.
for (const f of ["/etc/hosts", "/etc/resolv.conf"]) try { readFileSync(f); bind(f, f); } catch {}
writeFileSync(file, JSON.stringify(config, null, 2));
JS

echo "run-image: runc run $id" >&2
runc run --bundle "$work/bundle" "$id" &
runner=$!
stop() { runc kill "$id" "$1" 2>/dev/null || true; }
trap 'stop TERM' TERM
trap 'stop INT' INT
# A trapped signal ends a wait early: wait until runc has gone, then once more for its saved exit status.
while :; do
  wait "$runner" || true
  kill -0 "$runner" 2>/dev/null || break
done
code=0
wait "$runner" || code=$?
exit "$code"
