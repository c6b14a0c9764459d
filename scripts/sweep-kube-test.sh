#!/usr/bin/env bash
# Runs examples/sweep-quickstart.json under `podman kube play` from the manifests that
# `gymnosd sweep manifests` writes: Redis plus two worker pods sharing a runs volume, the sweep
# enqueued by a one-off container (podman 4.3's kube play has no Job), then waits for every trial
# and writes the sweep report out of the volume.
#
# Usage: scripts/sweep-kube-test.sh <gymnos-image> [redis-image]
#   gymnos-image: an image with `gymnosd` on PATH (docker/ builds them); redis-image defaults to
#   the same image, which then needs redis-server and redis-cli (Debian's redis-server package).
# Needs podman (Debian: apt-get install podman runc); run as root. Containers here need runc and
# raised ulimits (see /work/shared/DESIGN.md section 7): a containers.conf saying so is used
# unless CONTAINERS_CONF is set.
set -euo pipefail
IMAGE=${1:?usage: scripts/sweep-kube-test.sh <gymnos-image> [redis-image]}
REDIS_IMAGE=${2:-$IMAGE}
cd "$(dirname "$0")/.."
command -v podman >/dev/null || { echo "podman not found: apt-get install -y podman runc" >&2; exit 2; }
podman image exists "$IMAGE" || { echo "image $IMAGE not found (podman images); build one from docker/ first" >&2; exit 2; }

work=$(mktemp -d)
NET=gymnos-sweep-test
SUBNET=10.89.77.0/24
REDIS_IP=10.89.77.10
REDIS_URL=redis://$REDIS_IP:6379
if [ -z "${CONTAINERS_CONF:-}" ]; then
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n' > "$work/containers.conf"
  export CONTAINERS_CONF=$work/containers.conf
fi
cleanup() {
  for f in workers redis; do [ -f "$work/k8s/$f.yaml" ] && podman kube down "$work/k8s/$f.yaml" >/dev/null 2>&1 || true; done
  podman volume rm -f gymnos-runs gymnos-redis-data >/dev/null 2>&1 || true
  podman network rm -f $NET >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# the manifests: the workers reach Redis at a fixed address (kube play creates no Services)
node dist/src/cli/bin.js sweep manifests examples/sweep-quickstart.json --out "$work/k8s" \
  --image "$IMAGE" --redis-image "$REDIS_IMAGE" --redis-url "$REDIS_URL" --replicas 2 --cpu 1 --memory 2Gi
node -e 'const f=require("fs");const d=f.readFileSync(process.argv[1],"utf8").replace(/^#.*\n/,"").split("\n---\n").map(JSON.parse);f.writeFileSync(process.argv[2],d.find(x=>x.kind==="ConfigMap").data["sweep.json"])' "$work/k8s/workers.yaml" "$work/sweep.json"

podman network create --subnet $SUBNET $NET >/dev/null
podman kube play --network $NET --ip $REDIS_IP "$work/k8s/redis.yaml"
for i in $(seq 60); do podman exec gymnos-redis-pod-redis redis-cli ping 2>/dev/null | grep -q PONG && break; sleep 1; done
podman kube play --network $NET "$work/k8s/workers.yaml"

# one-off containers of the Gymnos image; --entrypoint '' so the command is given in full, as the pods give it
run() { podman run --rm --network $NET --entrypoint '' -v gymnos-runs:/runs -v "$work/sweep.json:/sweep/sweep.json:ro" -w /runs -e GYMNOS_HOME=/runs "$IMAGE" "$@"; }
id=$(run gymnosd sweep start /sweep/sweep.json --redis "$REDIS_URL")
echo "sweep $id enqueued"
t0=$(date +%s)
until run gymnosd sweep status "$id" --redis "$REDIS_URL" | awk -F'\t' 'NR>2 && $2!="completed" && $2!="failed" {open++} END {exit open>0}'; do
  [ $(( $(date +%s) - t0 )) -lt 900 ] || { echo "timed out waiting for the trials" >&2; run gymnosd sweep status "$id" --redis "$REDIS_URL" >&2; exit 1; }
  sleep 5
done
run gymnosd sweep status "$id" --redis "$REDIS_URL"
report=$(run gymnosd sweep report "$id" --redis "$REDIS_URL")
run cat "$report" > sweep-kube-report.html
echo "all trials ended in $(( $(date +%s) - t0 )) s; report: sweep-kube-report.html"
# both workers took trials
run sh -c "grep -ho '\"worker\": \"[^\"]*\"' /runs/sweeps/*/$id/trials/*/trial.json | sort | uniq -c"
