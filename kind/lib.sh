# kind/lib.sh — shared settings for the kind/ scripts (sourced, not executed).
# Everything built here is cached under ${SATURN_CACHE:-$HOME/.cache/saturn}, keyed
# by a content hash of its inputs, so re-running a script is cheap.

SATURN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SATURN_CACHE="${SATURN_CACHE:-$HOME/.cache/saturn}"
SATURN_BIN="${SATURN_ROOT}/bin"
KUBE_VERSION="v1.34.4"
ETCD_IMAGE_TAG="3.6.5-0"
COREDNS_VERSION="v1.12.1"
PAUSE_VERSION="3.10.1"
CRICTL_VERSION="v1.34.0"
KIND_VERSION="v0.33.0"
DEBIAN_SUITE="bookworm"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
K8S_BIN="${SATURN_CACHE}/k8s/${KUBE_VERSION}/bin"
TOOLS_BIN="${SATURN_CACHE}/tools/bin"
NODE_IMAGE="${SATURN_NODE_IMAGE:-saturn.local/kind-node:${KUBE_VERSION}}"
KIND_CLUSTER="${SATURN_KIND_CLUSTER:-saturn}"

# The private Docker engine started by kind/docker.sh when no engine runs.
SATURN_DOCKER_DIR="${SATURN_DOCKER_DIR:-/var/lib/saturn-docker}"
SATURN_DOCKER_SOCK="${SATURN_DOCKER_DIR}/docker.sock"

export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export DOCKER_BUILDKIT=0

log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "$(basename "$0" .sh)" "$*" >&2; }
die() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }

# use_docker selects the engine: an already working DOCKER_HOST / default socket,
# else the private engine's socket when it exists.
use_docker() {
  if docker info >/dev/null 2>&1; then return 0; fi
  if [[ -S "$SATURN_DOCKER_SOCK" ]]; then
    export DOCKER_HOST="unix://${SATURN_DOCKER_SOCK}"
    docker info >/dev/null 2>&1 && return 0
  fi
  return 1
}

# hash_inputs FILE_OR_STRING... -> 16 hex chars over the contents of files and the
# literal text of other arguments.
hash_inputs() {
  local a
  for a in "$@"; do
    if [[ -f "$a" ]]; then sha256sum "$a" | cut -d' ' -f1; else printf '%s\n' "$a"; fi
  done | sha256sum | cut -c1-16
}

# image_has_label IMAGE KEY VALUE: true when IMAGE exists with label KEY=VALUE.
image_has_label() {
  local got
  got="$(docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null)" || return 1
  [[ "$got" == "$3" ]]
}
