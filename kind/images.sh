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
# Every image is also tagged with a hash of all four binaries, written to
# ${SATURN_CACHE}/kind/image-tag: kind/e2e.sh exports it as SATURN_IMAGE_TAG so the
# harness runs exactly these binaries (a rebuilt binary gets a new tag and rolls its pods).
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

NAMES=(saturn-controller saturn-sim saturn prometheus)
for n in "${NAMES[@]}"; do
  image "$n" "$SATURN_BIN/$n"
done
tag="$(for n in "${NAMES[@]}"; do docker image inspect -f '{{.Id}}' "saturn.local/$n:dev"; done | sha256sum | cut -c1-12)"
for n in "${NAMES[@]}"; do
  docker tag "saturn.local/$n:dev" "saturn.local/$n:$tag"
done
mkdir -p "$SATURN_CACHE/kind"
echo "$tag" > "$SATURN_CACHE/kind/image-tag"
log "image tag $tag"

if ((load)); then
  for n in "${NAMES[@]}"; do
    "$SATURN_BIN/kind" load docker-image --name "$KIND_CLUSTER" "saturn.local/$n:dev" "saturn.local/$n:$tag" >/dev/null
  done
  log "images loaded into kind cluster $KIND_CLUSTER"
fi
