#!/usr/bin/env bash
# kind/cluster.sh [create|delete|kubeconfig] — creates (idempotently) the single-node Kind
# cluster ${SATURN_KIND_CLUSTER:-saturn} from the local node image and kind/cluster.yaml, and
# writes its kubeconfig to ${SATURN_KUBECONFIG:-$SATURN_CACHE/kind/saturn.kubeconfig}.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KUBECONFIG_OUT="${SATURN_KUBECONFIG:-$SATURN_CACHE/kind/$KIND_CLUSTER.kubeconfig}"
mkdir -p "$(dirname "$KUBECONFIG_OUT")"

ensure_kind() {
  if [[ ! -x "$SATURN_BIN/kind" ]]; then
    log "installing kind $KIND_VERSION into bin/"
    GOBIN="$SATURN_BIN" go install "sigs.k8s.io/kind@${KIND_VERSION}"
  fi
}

exists() {
  "$SATURN_BIN/kind" get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER" &&
    [[ "$(docker inspect -f '{{.State.Running}}' "$KIND_CLUSTER-control-plane" 2>/dev/null)" == true ]]
}

create() {
  "$SATURN_ROOT/kind/docker.sh" start
  use_docker || die "no docker engine answers"
  ensure_kind
  if exists; then
    log "cluster $KIND_CLUSTER is running"
  else
    "$SATURN_ROOT/kind/node-image.sh"
    "$SATURN_BIN/kind" delete cluster --name "$KIND_CLUSTER" >/dev/null 2>&1 || true
    local start=$SECONDS
    log "creating cluster $KIND_CLUSTER from $NODE_IMAGE"
    "$SATURN_BIN/kind" create cluster --name "$KIND_CLUSTER" --image "$NODE_IMAGE" \
      --config "$SATURN_ROOT/kind/cluster.yaml" --kubeconfig "$KUBECONFIG_OUT" --wait 180s
    log "cluster created in $((SECONDS - start))s"
  fi
  "$SATURN_BIN/kind" get kubeconfig --name "$KIND_CLUSTER" > "$KUBECONFIG_OUT"
  echo "$KUBECONFIG_OUT"
}

case "${1:-create}" in
  create) create ;;
  delete) use_docker || exit 0; ensure_kind; "$SATURN_BIN/kind" delete cluster --name "$KIND_CLUSTER" ;;
  kubeconfig) echo "$KUBECONFIG_OUT" ;;
  *) die "usage: kind/cluster.sh [create|delete|kubeconfig]" ;;
esac
