# Sourced by build-image.sh and run-image.sh: makes sure the container tools they use are installed. They are Debian
# packages (buildah builds without a daemon; runc runs the unpacked image; umoci unpacks it), so on a Debian machine
# where this runs as root (CI, a developer's container) the missing ones are installed with apt-get, with its
# progress shown; anywhere else the error says what to install.
image_tools_need() {
  local missing=() tool
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "image-tools: ${missing[*]} not installed; install the Debian/Ubuntu packages of the same names (apt-get install ${missing[*]}), or your distribution's" >&2
    return 1
  fi
  echo "image-tools: installing ${missing[*]} with apt-get (once per machine)" >&2
  local started=$SECONDS
  # The package lists may be missing or stale on a fresh machine; update them only when an install is needed.
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 || return 1
  echo "image-tools: installed ${missing[*]} in $(( SECONDS - started )) s" >&2
}
