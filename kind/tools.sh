#!/usr/bin/env bash
# kind/tools.sh — builds the node's non-Kubernetes binaries from sources into
# ${SATURN_CACHE}/tools/bin (cached; a stamp per binary records its recipe):
#   crictl   sigs.k8s.io/cri-tools/cmd/crictl (Debian has no cri-tools)
#   coredns  github.com/coredns/coredns
#   pause    build/pause/linux/pause.c of the k8s.io/kubernetes module, gcc -static
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$TOOLS_BIN"
export CGO_ENABLED=0 GOFLAGS= GOWORK=off

fresh() { # NAME RECIPE -> true when NAME was built with RECIPE
  [[ -x "$TOOLS_BIN/$1" && "$(cat "$TOOLS_BIN/.$1.stamp" 2>/dev/null)" == "$2" ]]
}

go_tool() { # NAME PACKAGE@VERSION
  local recipe
  recipe="$2 $(go env GOVERSION) -trimpath -s -w"
  fresh "$1" "$recipe" && return 0
  log "building $1 from $2"
  local gobin
  gobin="$(mktemp -d)"
  GOBIN="$gobin" go install -trimpath -ldflags "-s -w" "$2"
  mv -f "$gobin/$1" "$TOOLS_BIN/$1"
  rm -rf "$gobin"
  echo "$recipe" > "$TOOLS_BIN/.$1.stamp"
}

pause() {
  local src recipe
  src="$(go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | jq -r .Dir)/build/pause/linux/pause.c"
  [[ -f "$src" ]] || die "pause.c not found in the k8s.io/kubernetes@${KUBE_VERSION} module ($src)"
  recipe="$(sha256sum "$src" | cut -c1-16) ${PAUSE_VERSION} gcc-static"
  fresh pause "$recipe" && return 0
  command -v gcc >/dev/null || die "gcc is needed to build pause: apt-get install gcc libc6-dev"
  log "building pause ${PAUSE_VERSION} from $src"
  gcc -Os -Wall -Werror -static -DVERSION="v${PAUSE_VERSION}" -o "$TOOLS_BIN/pause.tmp" "$src"
  strip "$TOOLS_BIN/pause.tmp"
  mv -f "$TOOLS_BIN/pause.tmp" "$TOOLS_BIN/pause"
  echo "$recipe" > "$TOOLS_BIN/.pause.stamp"
}

go_tool crictl "sigs.k8s.io/cri-tools/cmd/crictl@${CRICTL_VERSION}"
go_tool coredns "github.com/coredns/coredns@${COREDNS_VERSION}"
pause
log "tools ready in $TOOLS_BIN"
