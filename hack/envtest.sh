#!/usr/bin/env bash
# hack/envtest.sh — make sure the envtest binaries (kube-apiserver, etcd) are
# built and print the directory to export as KUBEBUILDER_ASSETS:
#
#   export KUBEBUILDER_ASSETS="$(hack/envtest.sh)"
#
# The binaries are built from the Go module proxy by hack/build-k8s.sh
# (Kubernetes v1.34.4, etcd v3.6.5) and cached in
# ${SATURN_CACHE:-$HOME/.cache/saturn}/k8s/v1.34.4/bin; a second run is instant.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${SATURN_CACHE:-$HOME/.cache/saturn}/k8s/v1.34.4/bin"

if [[ ! -x "${DIR}/kube-apiserver" || ! -x "${DIR}/etcd" ]]; then
  "${ROOT}/hack/build-k8s.sh" --out "${DIR}" kube-apiserver etcd >&2
fi
for b in kube-apiserver etcd; do
  [[ -x "${DIR}/${b}" ]] || { echo "envtest: ${DIR}/${b} missing after build" >&2; exit 1; }
done
echo "${DIR}"
