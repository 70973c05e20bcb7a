#!/usr/bin/env bash
# kind/node-image.sh — builds the Kind node image ${SATURN_NODE_IMAGE:-saturn.local/kind-node:v1.34.4}
# from sources when it is not present (no registry needed):
#   1. Kubernetes v1.34.4 binaries and etcd (hack/build-k8s.sh), crictl, CoreDNS, pause (kind/tools.sh);
#   2. a Debian bookworm rootfs with systemd, containerd, runc, CNI plugins (kind/rootfs.sh);
#   3. kind's base-image files from the kind module, adapted to Debian's containerd 1.6;
#   4. FROM-scratch component images tagged as kubeadm expects, imported into the node's containerd;
#   5. a default CNI manifest (host-network DaemonSet writing a ptp + host-local conflist).
# The image carries a label with a hash of every input; a matching image is reused as is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$SATURN_ROOT/kind/docker.sh" start
use_docker || die "no docker engine answers"

start_all=$SECONDS
hack_out="$K8S_BIN"
K8S_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubeadm kubectl etcd etcdctl)
"$SATURN_ROOT/hack/build-k8s.sh" --out "$hack_out" "${K8S_COMPONENTS[@]}"
"$SATURN_ROOT/kind/tools.sh"
rootfs="$("$SATURN_ROOT/kind/rootfs.sh")"

KIND_MOD="$(cd "$SATURN_ROOT" && go mod download -json "sigs.k8s.io/kind@${KIND_VERSION}" | jq -r .Dir)"
KIND_FILES="$KIND_MOD/images/base/files"
[[ -d "$KIND_FILES" ]] || die "kind base files not found at $KIND_FILES"

stamps=()
for f in "$hack_out"/.*.stamp "$TOOLS_BIN"/.*.stamp; do stamps+=("$f"); done
key="$(hash_inputs "$rootfs" "${stamps[@]}" "$0" "$SATURN_ROOT/kind/lib.sh" \
  "$SATURN_ROOT/kind/node/default-cni.yaml" "$SATURN_ROOT/kind/node/iptables-wrapper" \
  "$(cd "$KIND_FILES" && find . -type f -print0 | sort -z | xargs -0 sha256sum)")"

if image_has_label "$NODE_IMAGE" saturn.node.key "$key"; then
  log "node image $NODE_IMAGE is up to date (key $key)"
  exit 0
fi

work="${SATURN_CACHE}/node/work-${key}"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"; docker rm -f "saturn-node-build-$key" >/dev/null 2>&1 || true' EXIT

# ---------- component images ----------
# copy_with_libs ROOTFS DEST FILE...: copies FILEs from ROOTFS to DEST at their canonical
# paths together with the shared libraries they load (as resolved inside ROOTFS).
copy_with_libs() {
  local root="$1" dest="$2"; shift 2
  local f lib
  {
    for f in "$@"; do
      echo "$f"
      chroot "$root" ldd "$f" 2>/dev/null | awk '/=>/ {print $3} /^\t\/lib/ {print $1}' || true
    done
  } | sort -u | while read -r lib; do
    [[ -n "$lib" ]] || continue
    local real
    real="$(chroot "$root" realpath "$lib")"
    mkdir -p "$dest$(dirname "$real")"
    cp -a "$root$real" "$dest$real"
  done
}

usrmerge_skeleton() { # DIR: the usr-merged layout Debian binaries expect
  mkdir -p "$1/usr/bin" "$1/usr/sbin" "$1/usr/lib" "$1/usr/lib64" "$1/etc" "$1/tmp" "$1/run" "$1/var/run"
  ln -sfn usr/bin "$1/bin"; ln -sfn usr/sbin "$1/sbin"; ln -sfn usr/lib "$1/lib"; ln -sfn usr/lib64 "$1/lib64"
  # the ELF interpreter path of Debian's amd64 binaries
  ln -sfn /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$1/usr/lib64/ld-linux-x86-64.so.2"
  chmod 1777 "$1/tmp"
}

# component_image NAME TAG CONTEXT DOCKERFILE-BODY
component_image() {
  local name="$1" tag="$2" ctx="$3" body="$4"
  printf 'FROM scratch\n%s\n' "$body" > "$ctx/Dockerfile"
  docker build -q -t "$tag" "$ctx" >/dev/null
  docker save "$tag" -o "$work/images/$name.tar"
  log "component image $tag"
}

mkdir -p "$work/images"
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  mkdir -p "$work/ctx-$c/usr/local/bin"
  cp "$hack_out/$c" "$work/ctx-$c/usr/local/bin/"
  component_image "$c" "registry.k8s.io/$c:${KUBE_VERSION}" "$work/ctx-$c" \
    "COPY usr /usr
ENV PATH=/usr/local/bin:/usr/bin:/bin
ENTRYPOINT [\"/usr/local/bin/$c\"]"
done

mkdir -p "$work/ctx-etcd/usr/local/bin" "$work/ctx-etcd/var/lib/etcd"
cp "$hack_out/etcd" "$hack_out/etcdctl" "$work/ctx-etcd/usr/local/bin/"
component_image etcd "registry.k8s.io/etcd:${ETCD_IMAGE_TAG}" "$work/ctx-etcd" \
  'COPY usr /usr
ENV PATH=/usr/local/bin:/usr/bin:/bin
ENTRYPOINT ["/usr/local/bin/etcd"]'

mkdir -p "$work/ctx-coredns"
cp "$TOOLS_BIN/coredns" "$work/ctx-coredns/coredns"
component_image coredns "registry.k8s.io/coredns/coredns:${COREDNS_VERSION}" "$work/ctx-coredns" \
  'COPY coredns /coredns
EXPOSE 53 53/udp
ENTRYPOINT ["/coredns"]'

mkdir -p "$work/ctx-pause"
cp "$TOOLS_BIN/pause" "$work/ctx-pause/pause"
component_image pause "registry.k8s.io/pause:${PAUSE_VERSION}" "$work/ctx-pause" \
  'COPY pause /pause
USER 65535:65535
ENTRYPOINT ["/pause"]'

# kube-proxy: iptables (nft and legacy backends) with its libraries and extensions from the
# rootfs, a static busybox shell, and a wrapper that picks the backend the node uses.
kp="$work/ctx-kube-proxy/root"
usrmerge_skeleton "$kp"
mkdir -p "$kp/usr/local/bin"
cp "$hack_out/kube-proxy" "$kp/usr/local/bin/"
copy_with_libs "$rootfs" "$kp" /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi \
  $(cd "$rootfs" && ls usr/lib/x86_64-linux-gnu/xtables/*.so | sed 's|^|/|')
# The extension directory as is: many extensions are symlinks (libxt_MASQUERADE.so...).
cp -a "$rootfs/usr/lib/x86_64-linux-gnu/xtables/." "$kp/usr/lib/x86_64-linux-gnu/xtables/"
cp "$rootfs/usr/bin/busybox" "$kp/usr/bin/busybox"
for applet in sh cat grep basename sleep mkdir cp mv rm ls echo test; do ln -sf busybox "$kp/usr/bin/$applet"; done
cp "$SATURN_ROOT/kind/node/iptables-wrapper" "$kp/usr/sbin/iptables-wrapper"
chmod 0755 "$kp/usr/sbin/iptables-wrapper"
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  ln -sf iptables-wrapper "$kp/usr/sbin/$t"
done
printf '/usr/lib/x86_64-linux-gnu\n/usr/lib\n' > "$kp/etc/ld.so.conf"
ldconfig -r "$kp"
component_image kube-proxy "registry.k8s.io/kube-proxy:${KUBE_VERSION}" "$work/ctx-kube-proxy" \
  'COPY root /
ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin
ENTRYPOINT ["/usr/local/bin/kube-proxy"]'

# ---------- node root filesystem ----------
stage="$work/rootfs"
log "assembling node rootfs"
cp -a "$rootfs" "$stage"
rm -f "$stage/.complete"
install -m 0755 "$KIND_FILES"/usr/local/bin/* "$stage/usr/local/bin/"
mkdir -p "$stage/kind/bin" "$stage/kind/manifests" "$stage/LICENSES"
cp -a "$KIND_FILES/kind/." "$stage/kind/"
chmod -R u+w "$stage/kind" "$stage/usr/local/bin"
find "$stage/kind" -type f -exec chmod 0644 {} + ; chmod 0755 "$stage/kind" "$stage/kind/bin" "$stage"/kind/bin/*
for d in etc etc/containerd etc/default etc/sysctl.d etc/systemd/system etc/systemd/system/kubelet.service.d; do
  mkdir -p "$stage/$d"
  find "$KIND_FILES/$d" -maxdepth 1 -type f -exec install -m 0644 {} "$stage/$d/" \;
done
# Debian's containerd 1.6 instead of kind's source-built 2.x: no fuse-overlayfs proxy plugin,
# the local pause tag, and restrict_oom_score_adj kept true (false breaks every sandbox here).
rm -f "$stage/etc/systemd/system/containerd-fuse-overlayfs.service"
awk '
  /^\[proxy_plugins/ {skip = 1; next}
  /^\[/ {skip = 0}
  skip == 1 {next}
  {print}
' "$KIND_FILES/etc/containerd/config.toml" |
  sed -e "s|sandbox_image = .*|sandbox_image = \"registry.k8s.io/pause:${PAUSE_VERSION}\"|" \
      -e 's|restrict_oom_score_adj = false|restrict_oom_score_adj = true|' \
  > "$stage/etc/containerd/config.toml"
ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
  jq 'del(.process.rlimits)' > "$stage/etc/containerd/cri-base.json"
ln -sf /usr/bin/containerd "$stage/usr/local/bin/containerd"
ln -sf /usr/bin/ctr "$stage/usr/local/bin/ctr"
ln -sf /usr/sbin/runc "$stage/usr/local/sbin/runc"

# systemd as kind's base image sets it up.
find "$stage/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$stage"/lib/systemd/system/multi-user.target.wants/* "$stage"/etc/systemd/system/*.wants/* \
  "$stage"/lib/systemd/system/local-fs.target.wants/* "$stage"/lib/systemd/system/sockets.target.wants/*udev* \
  "$stage"/lib/systemd/system/sockets.target.wants/*initctl* "$stage"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >> "$stage/etc/systemd/journald.conf"
ln -sfn /usr/lib/systemd/systemd "$stage/sbin/init"
chroot "$stage" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
chroot "$stage" systemctl mask systemd-binfmt.service >/dev/null 2>&1
mkdir -p "$stage/etc/kubernetes/manifests" "$stage/opt/cni/bin" "$stage/etc/cni/net.d"
for p in "$stage"/usr/lib/cni/*; do ln -sf "/usr/lib/cni/$(basename "$p")" "$stage/opt/cni/bin/"; done

# Kubernetes node binaries and kind's metadata.
install -m 0755 "$hack_out/kubelet" "$hack_out/kubeadm" "$hack_out/kubectl" "$stage/usr/bin/"
install -m 0755 "$TOOLS_BIN/crictl" "$stage/usr/local/bin/"
printf '%s' "$KUBE_VERSION" > "$stage/kind/version"
install -m 0644 "$SATURN_ROOT/kind/node/default-cni.yaml" "$stage/kind/manifests/default-cni.yaml"
mkdir -p "$stage/kind/images"

# ---------- image: import rootfs, preload component images, set entrypoint ----------
base="saturn.local/kind-node-base:${key}"
log "importing rootfs into docker"
tar -C "$stage" -c . | docker import - "$base" >/dev/null
rm -rf "$stage"
box="saturn-node-build-$key"
docker rm -f "$box" >/dev/null 2>&1 || true
docker run -d --privileged --name "$box" -v "$work/images:/kind/images-in:ro" \
  --entrypoint /usr/bin/containerd "$base" >/dev/null
for ((i = 0; i < 60; i++)); do
  docker exec "$box" ctr version >/dev/null 2>&1 && break
  sleep 1
done
for t in "$work"/images/*.tar; do
  docker exec "$box" ctr -n k8s.io images import --no-unpack --all-platforms "/kind/images-in/$(basename "$t")" >/dev/null ||
    die "importing $(basename "$t") into the node's containerd failed"
done
docker exec "$box" ctr -n k8s.io images ls -q | sort > "$work/imported.txt"
log "preloaded images: $(tr '\n' ' ' < "$work/imported.txt")"
docker stop -t 5 "$box" >/dev/null
docker commit "$box" "saturn.local/kind-node-commit:${key}" >/dev/null
docker rm -f "$box" >/dev/null
printf 'FROM saturn.local/kind-node-commit:%s\nENV container=docker\nSTOPSIGNAL SIGRTMIN+3\nENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]\nCMD []\nLABEL saturn.node.key=%s\n' \
  "$key" "$key" | docker build -q -t "$NODE_IMAGE" - >/dev/null
docker rmi "$base" "saturn.local/kind-node-commit:${key}" >/dev/null 2>&1 || true
log "node image $NODE_IMAGE built in $((SECONDS - start_all))s (key $key)"
