"""PyTorch's memory footprint on the workloads of bench/memory.ts (the peer it is compared with).

Each run is one process: build the model, train `steps` Adam steps (lr 1e-3) on random data with
one thread, and print one JSON line with the peak resident set size (getrusage ru_maxrss, which
Linux reports in KiB), the resident size after `import torch` (the runtime's own share), the
parameter count, the loss of the first and last step, and ms per step.

  /usr/bin/python3 bench/peers/torch_memory.py <workload> [steps]
  /usr/bin/python3 bench/peers/torch_memory.py --export-resnet18 <path.onnx>

Workloads (the same shapes and parameter counts as Gymnos's; the bench checks the counts match):
  mlp          784-256-128-10, batch 128
  resnet20     CIFAR ResNet-20 (width 16, option-B shortcuts), 3x32x32, batch 64
  resnet18     torchvision ResNet-18 (random weights, 10 classes), 3x64x64, batch 32
  transformer  pre-norm encoder: vocab 1000, T 128, d 128, 4 heads, 2 layers, ff 512, 4 classes, batch 32
"""
import json
import resource
import sys
import time


def rss_now_kib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


import torch  # noqa: E402  (after the helpers so the import's own cost is measured below)
import torch.nn as nn  # noqa: E402

RUNTIME_KIB = rss_now_kib()


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.short is None else self.short(x)))


class CifarResNet(nn.Module):
    def __init__(self, depth=20, width=16, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        blocks, cin = [], width
        for s in range(3):
            cout = width << s
            for i in range(n):
                blocks.append(Block(cin, cout, 2 if s > 0 and i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class Encoder(nn.Module):
    def __init__(self, vocab=1000, t=128, d=128, heads=4, layers=2, ff=512, classes=4):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(t, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation='gelu', batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, ids):
        x = self.enc(self.tok(ids) + self.pos)
        return self.head(self.ln(x).mean(1))


def resnet18():
    import torchvision
    return torchvision.models.resnet18(num_classes=10)


def workload(name):
    """(model, input batch, labels, classes)."""
    g = torch.Generator().manual_seed(42)
    if name == 'mlp':
        m = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
        return m, torch.rand(128, 784, generator=g), torch.randint(0, 10, (128,), generator=g)
    if name == 'resnet20':
        return CifarResNet(), torch.rand(64, 3, 32, 32, generator=g), torch.randint(0, 10, (64,), generator=g)
    if name == 'resnet18':
        return resnet18(), torch.rand(32, 3, 64, 64, generator=g), torch.randint(0, 10, (32,), generator=g)
    if name == 'transformer':
        return Encoder(), torch.randint(0, 1000, (32, 128), generator=g), torch.randint(0, 4, (32,), generator=g)
    raise SystemExit(f'unknown workload {name!r}; expected mlp, resnet20, resnet18 or transformer')


def export_resnet18(path):
    torch.manual_seed(0)
    m = resnet18().eval()
    x = torch.rand(1, 3, 64, 64)
    torch.onnx.export(m, x, path, input_names=['input'], output_names=['logits'], opset_version=17,
                      dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}}, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.PRESERVE)
    print(json.dumps({'exported': path, 'params': sum(p.numel() for p in m.parameters())}))


def main():
    if sys.argv[1] == '--export-resnet18':
        export_resnet18(sys.argv[2])
        return
    name = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model, x, y = workload(name)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    losses, times = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
        times.append((time.perf_counter() - t0) * 1000)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        'tool': 'pytorch', 'version': torch.__version__, 'workload': name, 'steps': steps,
        'peakRssBytes': peak_kib * 1024, 'runtimeRssBytes': RUNTIME_KIB * 1024,
        'params': sum(p.numel() for p in model.parameters()),
        'firstLoss': losses[0], 'lastLoss': losses[-1], 'stepMs': sorted(times)[len(times) // 2],
    }))


if __name__ == '__main__':
    main()
