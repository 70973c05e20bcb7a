#!/usr/bin/env bash
# kind/images.sh [--load] — builds saturn's FROM-scratch images from the static binaries in
# bin/ (`make build`; bin/prometheus from `make test-deps`) and, with --load, loads them into
# the Kind cluster ${SATURN_KIND_CLUSTER:-saturn}. Images run as non-root (65532) and carry a
# label with the binary's hash: an unchanged binary is not rebuilt, and kind skips images
# the node already has.
#   saturn.local/saturn-controller:dev   bin/saturn-controller
#   saturn.local/saturn-sim:dev          bin/saturn-sim
#   saturn.local/saturn:dev              bin/saturn (the load replayer runs as a Job)
#   saturn.local/prometheus:dev          bin/prometheus
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load=0
[[ "${1:-}" == "--load" ]] && load=1

"$SATURN_ROOT/kind/docker.sh" start
use_docker || die "no docker engine answers"

if [[ ! -x "$SATURN_BIN/prometheus" ]]; then
  log "building bin/prometheus from the module proxy (several minutes cold)"
  GOBIN="$SATURN_BIN" CGO_ENABLED=0 go install "github.com/prometheus/prometheus/cmd/prometheus@${PROMETHEUS_VERSION:-v0.316.0}"
fi

# image NAME BINARY ENTRYPOINT-JSON
image() {
  local name="$1" bin="$2" tag="saturn.local/$1:dev" key
  [[ -x "$bin" ]] || die "$bin is missing: run \`make build\` first"
  key="$(hash_inputs "$bin" "$0")"
  if image_has_label "$tag" saturn.image.key "$key"; then
    log "$tag is up to date"
    return 0
  fi
  local ctx
  ctx="$(mktemp -d)"
  cp "$bin" "$ctx/$(basename "$bin")"
  mkdir -p "$ctx/tmp" "$ctx/data" "$ctx/root"
  # A dynamically linked binary (bin/prometheus from `go install` with cgo) gets its
  # shared libraries and ELF interpreter from the host, at the same paths.
  local copy_root=""
  if ldd "$bin" >/dev/null 2>&1; then
    copy_root="COPY root /"
    local lib
    for lib in $(ldd "$bin" | awk '/=>/ {print $3} /^\t\// {print $1}'); do
      mkdir -p "$ctx/root$(dirname "$lib")"
      cp -L "$lib" "$ctx/root$lib"
    done
  fi
  cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY --chown=65532:65532 tmp /tmp
COPY --chown=65532:65532 data /data
$copy_root
COPY $(basename "$bin") /usr/local/bin/$(basename "$bin")
USER 65532:65532
WORKDIR /data
ENV PATH=/usr/local/bin TMPDIR=/tmp
LABEL saturn.image.key=$key
ENTRYPOINT ["/usr/local/bin/$(basename "$bin")"]
DOCKERFILE
  docker build -q -t "$tag" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "built $tag"
}

image saturn-controller "$SATURN_BIN/saturn-controller"
image saturn-sim "$SATURN_BIN/saturn-sim"
image saturn "$SATURN_BIN/saturn"
image prometheus "$SATURN_BIN/prometheus"

if ((load)); then
  for n in saturn-controller saturn-sim saturn prometheus; do
    "$SATURN_BIN/kind" load docker-image --name "$KIND_CLUSTER" "saturn.local/$n:dev" >/dev/null
  done
  log "images loaded into kind cluster $KIND_CLUSTER"
fi
