#!/usr/bin/env bash
# hack/build-k8s.sh [--out DIR] [--force] BINARY...
#
# Builds Kubernetes v1.34.4 server binaries and etcd v3.6.5 from the Go module
# proxy (no container registry, no GitHub release downloads):
#   kube-apiserver kube-controller-manager kube-scheduler kubelet kubeadm kubectl
#   kube-proxy   -> wrapper module hack/k8s (k8s.io/kubernetes + pinned staging modules)
#   etcd etcdctl -> wrapper module hack/etcd (go.etcd.io/etcd/server/v3)
#   all          -> every binary above
#
# Output: ${SATURN_CACHE:-$HOME/.cache/saturn}/k8s/v1.34.4/bin (or --out DIR).
# Idempotent: a binary is rebuilt only when the stamp next to it (a hash of the
# wrapper module's go.mod/go.sum, the Go version and the build flags) changed,
# or with --force. Safe to run concurrently for different binaries.
set -euo pipefail

KUBE_VERSION=v1.34.4
ETCD_VERSION=v3.6.5
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SATURN_CACHE:-$HOME/.cache/saturn}"
OUT="${CACHE}/k8s/${KUBE_VERSION}/bin"
FORCE=0
ALL_K8S=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubeadm kubectl kube-proxy)
ALL_ETCD=(etcd etcdctl)

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

log() { printf '%s build-k8s: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

targets=()
while (($#)); do
  case "$1" in
    --out) [[ $# -ge 2 ]] || { echo "build-k8s: --out needs a directory" >&2; exit 2; }; OUT="$2"; shift 2 ;;
    --out=*) OUT="${1#--out=}"; shift ;;
    --force) FORCE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    all) targets+=("${ALL_K8S[@]}" "${ALL_ETCD[@]}"); shift ;;
    -*) echo "build-k8s: unknown flag $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  echo "build-k8s: name at least one binary: ${ALL_K8S[*]} ${ALL_ETCD[*]} (or all)" >&2
  exit 2
fi

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

# Deterministic, cgo-free, reproducible builds. GOFLAGS from the caller (e.g. -race)
# must not leak into these builds; the wrapper modules' go.sum is committed.
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
GO="${GO:-go}"
GO_VERSION="$($GO env GOVERSION)"

k8s_ldflags() {
  local v="${KUBE_VERSION#v}" major minor
  major="${v%%.*}"; minor="${v#*.}"; minor="${minor%%.*}"
  local f=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=" -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
    f+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
  done
  printf '%s' "-s -w${f}"
}

etcd_ldflags() {
  printf '%s' "-s -w"
}

# stamp MODULE_DIR LDFLAGS -> content hash that identifies one build recipe.
stamp() {
  { cat "$1/go.mod" "$1/go.sum"; echo "$GO_VERSION"; echo "$2"; echo "$CGO_ENABLED"; } | sha256sum | cut -c1-16
}

# build NAME MODULE_DIR PACKAGE LDFLAGS
build() {
  local name="$1" mod="$2" pkg="$3" ldflags="$4" want have=""
  want="$(stamp "$mod" "$ldflags")"
  [[ -f "$OUT/.$name.stamp" ]] && have="$(cat "$OUT/.$name.stamp")"
  if ((FORCE == 0)) && [[ -x "$OUT/$name" && "$have" == "$want" ]]; then
    log "$name is up to date ($OUT/$name)"
    return 0
  fi
  log "building $name from $pkg"
  local start=$SECONDS tmp="$OUT/.$name.tmp.$$"
  (cd "$mod" && "$GO" build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg") || {
    rm -f "$tmp"
    echo "build-k8s: building $name from $pkg in $mod failed (see the go output above)" >&2
    return 1
  }
  mv -f "$tmp" "$OUT/$name"
  echo "$want" > "$OUT/.$name.stamp"
  log "built $name in $((SECONDS - start))s"
}

for t in "${targets[@]}"; do
  case "$t" in
    kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kubeadm|kubectl|kube-proxy)
      build "$t" "$ROOT/hack/k8s" "k8s.io/kubernetes/cmd/$t" "$(k8s_ldflags)" ;;
    etcd)
      build etcd "$ROOT/hack/etcd" "go.etcd.io/etcd/server/v3" "$(etcd_ldflags)" ;;
    etcdctl)
      build etcdctl "$ROOT/hack/etcd" "go.etcd.io/etcd/etcdctl/v3" "$(etcd_ldflags)" ;;
    *)
      echo "build-k8s: unknown binary $t; known: ${ALL_K8S[*]} ${ALL_ETCD[*]} all" >&2
      exit 2 ;;
  esac
done
