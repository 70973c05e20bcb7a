#!/usr/bin/env bash
# kind/rootfs.sh — prints the path of a cached Debian bookworm rootfs for the Kind
# node image, building it with debootstrap when missing. The cache key is a hash of
# the package list, suite and mirror, so changing the list rebuilds it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The packages kind's base image installs, plus what Debian gives us in place of
# kind's source-built containerd, runc and CNI plugins, and a static busybox that
# the FROM-scratch kube-proxy and CNI images use as their shell.
PACKAGES=(
  systemd systemd-sysv dbus
  conntrack iptables nftables iproute2 ethtool util-linux mount kmod
  libseccomp2 pigz bash ca-certificates curl jq procps
  containerd runc containernetworking-plugins socat busybox-static e2fsprogs
)
pkgs="$(IFS=,; echo "${PACKAGES[*]}")"
key="$(hash_inputs "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$pkgs")"
dir="${SATURN_CACHE}/node/rootfs-${key}"

if [[ -f "$dir/.complete" ]]; then
  echo "$dir"
  exit 0
fi
command -v debootstrap >/dev/null || {
  [[ $(id -u) == 0 ]] || die "debootstrap is missing: sudo apt-get install debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}
log "debootstrapping $DEBIAN_SUITE into $dir (a few minutes)"
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
start=$SECONDS
debootstrap --variant=minbase --include="$pkgs" "$DEBIAN_SUITE" "$dir.tmp" "$DEBIAN_MIRROR" >"$dir.log" 2>&1 ||
  { tail -20 "$dir.log" >&2; die "debootstrap failed (log: $dir.log)"; }
# Slim the tree: caches and docs are not needed on a node.
rm -rf "$dir.tmp"/var/cache/apt/archives/*.deb "$dir.tmp"/var/lib/apt/lists/* \
  "$dir.tmp"/usr/share/doc/* "$dir.tmp"/usr/share/man/* "$dir.tmp"/usr/share/locale/*
touch "$dir.tmp/.complete"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
log "rootfs ready in $((SECONDS - start))s"
echo "$dir"
