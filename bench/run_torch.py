"""Benchmark runner for PyTorch CPU (Debian's python3-torch), started by bench/index.ts.

    /usr/bin/python3 bench/run_torch.py --data FILE [--quick]

Same workloads as the JS runners: the lab CNN and LeNet-5 (NCHW, PyTorch's native layout), Adam,
cross-entropy on logits (the softmax of the Keras models is folded into the loss), batch 32/128.
PyTorch keeps its default thread count (one per core).
"""
import json
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

QUICK = "--quick" in sys.argv
DATA = sys.argv[sys.argv.index("--data") + 1]
TARGET = 0.25 if QUICK else 1.5
REPEATS = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else (2 if QUICK else 5)


def read_data(path):
    with open(path, "rb") as f:
        raw = f.read()
    (count,) = struct.unpack_from("<i", raw, 0)
    x = np.frombuffer(raw, dtype="<f4", count=count * 784, offset=4).reshape(count, 1, 28, 28)
    y = np.frombuffer(raw, dtype="<i4", count=count, offset=4 + count * 784 * 4)
    return torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64)), count


def build(name):
    if name == "lab":
        return nn.Sequential(
            nn.Conv2d(1, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(980, 120), nn.ReLU(), nn.Linear(120, 10))
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def time_repeats(run, per_unit, max_units, scale=1.0):
    run(1)
    t = time.perf_counter()
    run(1)
    probe = max(time.perf_counter() - t, 1e-5)
    units = max(1, min(max_units, round(TARGET / probe)))
    rates = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        run(units)
        rates.append(units * per_unit / (time.perf_counter() - t) / scale)
    return rates


def main():
    x, y, count = read_data(DATA)
    torch.manual_seed(1)
    out = []
    loss_fn = nn.CrossEntropyLoss()
    for name, batch in [("lab", 32), ("lab", 128), ("lenet", 32), ("lenet", 128)]:
        model = build(name)
        opt = torch.optim.Adam(model.parameters(), lr=0.001)

        def train(steps):
            for s in range(steps):
                xb, yb = x[s * batch:(s + 1) * batch], y[s * batch:(s + 1) * batch]
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()

        out.append({"key": f"train {name} batch {batch}", "unit": "samples/s", "values": time_repeats(train, batch, count // batch)})
    for name in ["lab", "lenet"]:
        model = build(name)

        def infer(steps):
            with torch.no_grad():
                for s in range(steps):
                    torch.softmax(model(x[s * 128:(s + 1) * 128]), dim=1)

        out.append({"key": f"predict {name} batch 128", "unit": "samples/s", "values": time_repeats(infer, 128, count // 128)})
    n = 1024
    a = torch.rand(n, n)
    b = torch.rand(n, n)

    def gemm(units):
        for _ in range(units):
            torch.mm(a, b)

    out.append({"key": f"GEMM {n}x{n}x{n}", "unit": "GFLOP/s", "values": time_repeats(gemm, 2 * n ** 3, 50, 1e9)})
    convs = [
        ("conv lab 28x28x1 -> 5 (3x3 same), batch 32", (32, 1, 28, 28), (5, 1, 3, 3), 1, 28),
        ("conv LeNet-1 28x28x1 -> 6 (5x5 same), batch 32", (32, 1, 28, 28), (6, 1, 5, 5), 2, 28),
        ("conv LeNet-2 14x14x6 -> 16 (5x5 valid), batch 32", (32, 6, 14, 14), (16, 6, 5, 5), 0, 10),
    ]
    for key, xs, ws, pad, o in convs:
        xt = torch.rand(*xs)
        wt = torch.rand(*ws)
        flops = 2 * xs[0] * o * o * ws[0] * ws[1] * ws[2] * ws[3]

        def conv(units):
            with torch.no_grad():
                for _ in range(units):
                    torch.nn.functional.conv2d(xt, wt, padding=pad)

        out.append({"key": key, "unit": "GFLOP/s", "values": time_repeats(conv, flops, 1000, 1e9)})
    result = {
        "system": "PyTorch CPU",
        "version": f"torch {torch.__version__}",
        "measurements": out,
        "notes": [f"PyTorch {torch.__version__} (Debian python3-torch), {torch.get_num_threads()} thread(s); softmax folded into CrossEntropyLoss"],
    }
    print("\nRESULT " + json.dumps(result))


main()
