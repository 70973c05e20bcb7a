#!/usr/bin/env bash
# kind/e2e.sh [FOCUS] — `make e2e`: everything the e2e suite needs, then the suite.
#   1. a Docker engine (kind/docker.sh), kind in bin/, the node image (kind/node-image.sh),
#   2. saturn's binaries (make build) and images (kind/images.sh), bin/helm,
#   3. the Kind cluster (kind/cluster.sh) with the images loaded,
#   4. go test -tags e2e ./test/e2e/... (FOCUS: an e2e-framework --feature regexp matched
#      against feature names, e.g. "prometheus outage" or "HTTPS").
# Artifacts (records, cluster logs on failure) land in artifacts/e2e.
# Timing on this machine, warm (images built, node image cached): ~35 s until the cluster
# and images are ready, then the suite (see kind/README.md).
# SATURN_E2E_KEEP_CLUSTER=1 keeps the cluster after the suite (faster reruns).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SATURN_ROOT"

focus="${*:-${FOCUS:-}}"
start=$SECONDS
kind/docker.sh start
use_docker || die "no docker engine answers"
make --no-print-directory build "$SATURN_BIN/helm" >/dev/null
kind/images.sh
kubeconfig="$(kind/cluster.sh create | tail -1)"
kind/images.sh --load
log "cluster and images ready in $((SECONDS - start))s"

mkdir -p artifacts/e2e
args=(-tags e2e -count=1 -timeout 60m -v ./test/e2e/...)
[[ -n "$focus" ]] && args+=(-args "--feature=${focus}")
rc=0
SATURN_IMAGE_TAG="$(cat "$SATURN_CACHE/kind/image-tag")" SATURN_KUBECONFIG="$kubeconfig" SATURN_HELM="$SATURN_BIN/helm" SATURN_KIND="$SATURN_BIN/kind" \
  SATURN_KIND_CLUSTER="$KIND_CLUSTER" SATURN_ARTIFACTS="$SATURN_ROOT/artifacts/e2e" SATURN_ROOT="$SATURN_ROOT" \
  go test "${args[@]}" || rc=$?
if [[ "${SATURN_E2E_KEEP_CLUSTER:-0}" != 1 ]]; then
  kind/cluster.sh delete || true
fi
log "e2e finished in $((SECONDS - start))s (exit $rc)"
exit "$rc"
