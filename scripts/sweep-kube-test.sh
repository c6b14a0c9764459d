#!/usr/bin/env bash
# Runs examples/sweep-quickstart.json under `podman kube play` from the manifests that
# `gymnosd sweep manifests` writes: Redis plus two worker pods sharing a runs volume, the sweep
# enqueued by a one-off container (podman 4.3's kube play has no Job), then waits for every trial
# and writes the sweep report out of the volume.
#
# Checks: every trial of the sweep file completed (trial.json, model.onnx), both worker pods took
# trials, and the report names the best trial; the report is copied to $SWEEP_KUBE_REPORT
# (default runs/sweep-kube-report.html).
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
OUT_REPORT=${SWEEP_KUBE_REPORT:-$PWD/runs/sweep-kube-report.html}
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
# kube play names a Deployment's pods <name>-pod-<i> and their containers <pod>-<container>
redis_ctr=$(podman ps --format '{{.Names}}' --filter name='^gymnos-redis-pod-[0-9]+-redis$' | head -1)
[ -n "$redis_ctr" ] || { echo "kube play started no Redis container (podman ps -a)" >&2; exit 1; }
for i in $(seq 60); do podman exec "$redis_ctr" redis-cli ping 2>/dev/null | grep -q PONG && break; sleep 1; done
podman exec "$redis_ctr" redis-cli ping | grep -q PONG || { echo "Redis in $redis_ctr does not answer ping" >&2; podman logs "$redis_ctr" >&2; exit 1; }
podman kube play --network $NET "$work/k8s/workers.yaml"
# enqueue only when both workers listen, so that each takes a trial whatever the start-up order
mapfile -t workers < <(podman ps --format '{{.Names}}' --filter name='^gymnos-worker-pod-[0-9]+-worker$')
[ ${#workers[@]} -eq 2 ] || { echo "expected 2 worker containers from kube play, found: ${workers[*]:-none}" >&2; podman ps -a >&2; exit 1; }
for w in "${workers[@]}"; do
  for i in $(seq 120); do podman logs "$w" 2>&1 | grep -q 'taking trials from' && break; sleep 1; done
  podman logs "$w" 2>&1 | grep -q 'taking trials from' || { echo "worker $w did not start:" >&2; podman logs "$w" >&2; exit 1; }
done

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
echo "all trials ended in $(( $(date +%s) - t0 )) s"

# check the sweep directory on the runs volume (as root, straight from the volume's mount point)
vol=$(podman volume inspect gymnos-runs --format '{{.Mountpoint}}')
dir=$(ls -d "$vol"/sweeps/*/"$id")
mkdir -p "$(dirname "$OUT_REPORT")"
cp "$vol/${report#/runs/}" "$OUT_REPORT"
node - "$dir" "$OUT_REPORT" "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).trials' "$work/sweep.json")" <<'JS'
const fs = require('fs');
const [dir, report, expected] = process.argv.slice(2);
const trials = fs.readdirSync(`${dir}/trials`).map((t) => JSON.parse(fs.readFileSync(`${dir}/trials/${t}/trial.json`, 'utf8')));
const fail = (m) => { console.error(`sweep-kube-test: FAIL: ${m}`); process.exit(1); };
if (trials.length !== Number(expected)) fail(`${trials.length} trial(s) in ${dir}, the sweep file asks for ${expected}`);
const bad = trials.filter((t) => t.status !== 'completed');
if (bad.length) fail(`trials not completed: ${bad.map((t) => `${t.id} ${t.status} ${t.error ?? ''}`).join('; ')}`);
for (const t of trials) if (!fs.existsSync(`${dir}/trials/${t.id}/model.onnx`)) fail(`trial ${t.id} left no model.onnx`);
const workers = new Set(trials.map((t) => t.worker.replace(/:\d+$/, '')));
if (workers.size < 2) fail(`one worker pod took every trial (${[...workers]}); the test needs both to work`);
// the best value, and every trial that reached it (the report names one of them)
const top = Math.max(...trials.map((t) => t.value));
const tied = trials.filter((t) => t.value === top);
const html = fs.readFileSync(report, 'utf8');
const best = tied.find((t) => html.includes(`<p id="best">Best trial: <strong data-trial="${t.id}">`));
if (!best) fail(`the report does not name a best trial (${tied.map((t) => t.id).join(' or ')}, val_accuracy ${top})`);
console.log(`${trials.length} trials completed on ${workers.size} worker pods (${[...workers].join(', ')}); best ${best.id} val_accuracy ${best.value}; report ${report}`);
JS
