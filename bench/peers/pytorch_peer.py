"""PyTorch as a peer of bench/compare.ts: the same workloads (bench/peers/workloads.ts) with the
same shapes, batch sizes, Adam at 1e-3, steps per epoch and seeded data (mulberry32, seed 42),
timed the same way (median wall and process CPU ms per step over measured epochs after a warm-up,
the loss checked to fall).

Prints one `PROBE <json>` line (torch version, the BLAS torch reports and the BLAS/oneDNN
libraries actually mapped into this process) and one `RESULT <json>` line per workload; a failed
workload prints `RESULT {"tool", "workload", "error"}`. Other tools (bench/memory.ts) can reuse it:
every result carries `peak_rss_mb` (ru_maxrss of this process so far).

  /usr/bin/python3 bench/peers/pytorch_peer.py --threads 1 --workloads mlp,lenet [--warmup 1 --epochs 4 --steps N]
  /usr/bin/python3 bench/peers/pytorch_peer.py --probe
"""
import argparse
import json
import os
import resource
import sys
import time

# OpenBLAS runs its own thread pool next to torch's OpenMP one: pin it to the same count
_THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
os.environ.setdefault("OPENBLAS_NUM_THREADS", _THREADS)
os.environ.setdefault("OMP_NUM_THREADS", _THREADS)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

LEARNING_RATE = 1e-3
DATA_SEED = 42
WORKLOADS = {
    "mlp": {"title": "MLP 784-256-128-10, batch 128", "sample": [784], "batch": 128, "classes": 10, "steps": 20},
    "lenet": {"title": "LeNet-style CNN 28x28, batch 64", "sample": [1, 28, 28], "batch": 64, "classes": 10, "steps": 10},
    "resnet20": {"title": "ResNet-20 32x32x3, batch 64", "sample": [3, 32, 32], "batch": 64, "classes": 10, "steps": 2},
    "mobilenetv2": {"title": "MobileNetV2-style 32x32x3, batch 64", "sample": [3, 32, 32], "batch": 64, "classes": 10, "steps": 2},
}


def mulberry32(seed):
    """The generator of bench/peers/workloads.ts, bit for bit."""
    a = seed & 0xFFFFFFFF

    def imul(x, y):
        return (x * y) & 0xFFFFFFFF

    def nxt():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return nxt


def make_batches(w, count, seed=DATA_SEED):
    """makeBatches of workloads.ts: class prototypes plus uniform noise, the same numbers."""
    rand = mulberry32(seed)
    size = 1
    for d in w["sample"]:
        size *= d
    protos = [[rand() for _ in range(size)] for _ in range(w["classes"])]
    xs, ys = [], []
    for _ in range(count):
        xb, yb = [], []
        for _ in range(w["batch"]):
            c = int(rand() * w["classes"])
            yb.append(c)
            p = protos[c]
            xb.extend(0.5 * p[j] + 0.5 * rand() for j in range(size))
        xs.append(torch.tensor(xb, dtype=torch.float32).reshape([w["batch"], *w["sample"]]))
        ys.append(torch.tensor(yb, dtype=torch.int64))
    return xs, ys


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


class BasicBlock(nn.Module):
    """The zoo's CIFAR ResNet block: conv-BN-ReLU-conv-BN plus shortcut (1x1 conv + BN where the shape changes), ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.short = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return torch.relu(self.body(x) + (x if self.short is None else self.short(x)))


def resnet20(width=16):
    layers = [nn.Conv2d(3, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
    cin = width
    for s in range(3):
        cout = width << s
        for i in range(3):
            layers.append(BasicBlock(cin, cout, 2 if s > 0 and i == 0 else 1))
            cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 10))


# the MobileNetV2-style workload: the zoo's mobilenet_v2 with these options (workloads.ts MOBILENET_STYLE)
MOBILENET_BLOCKS = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 2, 2]]
MOBILENET_STEM, MOBILENET_LAST = 32, 256


def conv_bn(cin, cout, k, stride=1, group=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=group, bias=False), nn.BatchNorm2d(cout)]
    return layers + ([nn.ReLU6()] if act else [])


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, t, stride):
        super().__init__()
        hidden = cin * t
        layers = [] if t == 1 else conv_bn(cin, hidden, 1)
        layers += conv_bn(hidden, hidden, 3, stride, hidden) + conv_bn(hidden, cout, 1, act=False)
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


def mobilenetv2():
    layers = conv_bn(3, MOBILENET_STEM, 3)
    cin = MOBILENET_STEM
    for t, c, n, s in MOBILENET_BLOCKS:
        for i in range(n):
            layers.append(InvertedResidual(cin, c, t, s if i == 0 else 1))
            cin = c
    layers += conv_bn(cin, MOBILENET_LAST, 1) + [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(MOBILENET_LAST, 10)]
    return nn.Sequential(*layers)


BUILDERS = {"mlp": mlp, "lenet": lenet, "resnet20": resnet20, "mobilenetv2": mobilenetv2}


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2]


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(name, threads, warmup, epochs, steps):
    w = WORKLOADS[name]
    steps = steps or w["steps"]
    torch.manual_seed(7)
    model = BUILDERS[name]()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    xs, ys = make_batches(w, steps)
    walls, cpus, epoch_loss = [], [], []
    for e in range(warmup + epochs):
        c0, t0 = time.process_time(), time.perf_counter()
        total = 0.0
        for s in range(steps):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xs[s]), ys[s])
            loss.backward()
            opt.step()
            total += loss.item()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        epoch_loss.append(total / steps)
        if e >= warmup:
            walls.append(1000 * wall / steps)
            cpus.append(1000 * cpu / steps)
    first, last = epoch_loss[0], epoch_loss[-1]
    if not (last < first):
        raise RuntimeError(f"pytorch on {w['title']}: the loss did not fall (first epoch {first}, last {last}); refusing to report a broken run")
    step_ms, cpu_ms = median(walls), median(cpus)
    return {
        "tool": f"pytorch-{threads}t", "workload": name, "stepMs": step_ms, "cpuMs": cpu_ms,
        "samplesPerSec": 1000 * w["batch"] / step_ms, "samplesPerCpuSec": 1000 * w["batch"] / cpu_ms,
        "firstLoss": first, "lastLoss": last, "epochs": epochs, "steps": steps, "threads": threads,
        "notes": [], "peak_rss_mb": peak_rss_mb(),
    }


def probe():
    """torch's version, the BLAS it was built against, and what is really loaded (after one matmul)."""
    a = torch.ones(64, 64)
    (a @ a).sum().item()
    torch.nn.functional.conv2d(torch.ones(1, 1, 8, 8), torch.ones(1, 1, 3, 3))
    config = torch.__config__.show()
    blas_info = next((p.split("=", 1)[1] for p in config.replace(",", " ").split() if p.startswith("BLAS_INFO=")), "unknown")
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            base = os.path.basename(path).lower()
            if any(k in base for k in ("blas", "lapack", "dnnl", "mkl")):
                libs.add(os.path.realpath(path))
    return {"torch": torch.__version__, "blasInfo": blas_info, "mkldnn": torch.backends.mkldnn.is_available(),
            "loaded": sorted(libs), "openblasThreads": os.environ.get("OPENBLAS_NUM_THREADS"), "peak_rss_mb": peak_rss_mb()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--workloads", default="mlp,lenet")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--steps", type=int, default=0)
    p.add_argument("--probe", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    print("PROBE " + json.dumps(probe()), flush=True)
    if a.probe:
        return
    for name in a.workloads.split(","):
        try:
            if name not in BUILDERS:
                raise ValueError(f"unknown workload '{name}' (expected one of {', '.join(BUILDERS)})")
            print("RESULT " + json.dumps(run(name, a.threads, a.warmup, a.epochs, a.steps)), flush=True)
        except Exception as e:  # a failed workload is reported, the others still run
            print("RESULT " + json.dumps({"tool": f"pytorch-{a.threads}t", "workload": name, "error": str(e)}), flush=True)


if __name__ == "__main__":
    main()
