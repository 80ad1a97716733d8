"""Benchmark runner for PyTorch CPU (Debian's python3-torch), started by bench/index.ts.

    /usr/bin/python3 bench/run_torch.py --data FILE [--quick] [--only TEXT] [--allow-reference-blas]

Same workloads as the JS runners: the lab CNN and LeNet-5, and the real-size models of
bench/torch_models.py (NCHW, PyTorch's native layout), Adam, cross-entropy on logits (the softmax
of the Keras models is folded into the loss). Every row is timed with 1 and with 2 intra-op
threads (torch.set_num_threads) and keeps the faster, saying which.

Debian's python3-torch links the netlib reference BLAS unless OpenBLAS is installed
(`apt-get install libopenblas0-pthread`, see bench/setup.sh); with the reference BLAS its matrix
products run some 30-50x slower than any PyTorch a user installs, so this runner refuses to run
on it (unless --allow-reference-blas) and reports the BLAS it found.
"""
import ctypes
import json
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import build, keras_param_count  # noqa: E402

QUICK = "--quick" in sys.argv
DATA = sys.argv[sys.argv.index("--data") + 1]
TARGET = 0.25 if QUICK else 1.5
# Untimed seconds before a row's repeats, as bench/common.ts WARMUP_MS gives the JS systems.
WARMUP = 0.0 if QUICK else 2.0
REPEATS = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else (2 if QUICK else 5)


def read_data(path):
    with open(path, "rb") as f:
        raw = f.read()
    (count,) = struct.unpack_from("<i", raw, 0)
    flat = np.frombuffer(raw, dtype="<f4", count=count * 784, offset=4)
    y = np.frombuffer(raw, dtype="<i4", count=count, offset=4 + count * 784 * 4)
    return torch.from_numpy(flat.copy()), torch.from_numpy(y.astype(np.int64)), count


def time_repeats(run, per_unit, max_units, scale=1.0):
    run(1)
    t = time.perf_counter()
    run(1)
    probe = max(time.perf_counter() - t, 1e-5)
    units = max(1, min(max_units, round(TARGET / probe)))
    warm_until = time.perf_counter() + WARMUP
    while time.perf_counter() < warm_until:
        run(units)
    rates = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        run(units)
        rates.append(units * per_unit / (time.perf_counter() - t) / scale)
    return rates


# bench/common.ts BIG_MODELS and BIG_TRAIN_CASES: (model, key label, image shape CHW, Keras parameter count).
BIG_MODELS = {
    "cifar-vgg": ("cifar-vgg with augmentation", (3, 32, 32), 392_426),
    "cifar-vgg-noaug": ("cifar-vgg without augmentation", (3, 32, 32), 392_426),
    "fashion-vgg": ("fashion-vgg (flips)", (1, 28, 28), 391_850),
    "cifar-cnn": ("cifar-cnn", (3, 32, 32), 1_250_858),
}
BIG_TRAIN_CASES = [("cifar-vgg-noaug", 64), ("cifar-vgg", 64), ("fashion-vgg", 128), ("cifar-cnn", 64)]
BIG_INFER_CASES = ["cifar-vgg", "fashion-vgg", "cifar-cnn"]
ONLY = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None


def wanted(key):
    return ONLY is None or ONLY in key


def blas_info():
    """The BLAS library torch loaded (from this process's memory map, after a matrix product) and,
    for OpenBLAS, the kernel it picked for this processor and its thread count."""
    a = torch.rand(64, 64)
    torch.mm(a, a)
    with open("/proc/self/maps") as f:
        libs = sorted({os.path.realpath(line.split()[-1]) for line in f if "blas" in line.split()[-1].lower()})
    openblas = [p for p in libs if "libopenblas" in os.path.basename(p)]
    if openblas:
        lib = ctypes.CDLL(openblas[0])
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        core = lib.openblas_get_corename().decode()
        config = lib.openblas_get_config().decode()
        return True, f"OpenBLAS ({config}; kernel {core}; {os.path.basename(openblas[0])})"
    return False, "reference BLAS (netlib: " + (", ".join(libs) or "no BLAS library mapped") + ")"


def best_of_threads(measure):
    """Runs `measure()` (which returns a list of rates) with 1 and with 2 intra-op threads and
    keeps the list whose median is higher, with the thread count that gave it."""
    best = None
    for threads in (1, 2):
        torch.set_num_threads(threads)
        values = measure()
        if best is None or np.median(values) > np.median(best[1]):
            best = (threads, values)
    return best


def record(out, key, unit, measure):
    if not wanted(key):
        return
    threads, values = best_of_threads(measure)
    out.append({"key": key, "unit": unit, "values": values, "note": f"{threads} thread{'s' if threads > 1 else ''}"})
    print(f"torch: {key}: {np.median(values):.1f} {unit} with {threads} thread(s)", file=sys.stderr)


def train_rate(model, x, y, batch, shape):
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    n = min(x.numel() // int(np.prod(shape)), y.numel())
    model.train()

    def train(steps):
        for s in range(steps):
            xb = x[s * batch * int(np.prod(shape)):(s + 1) * batch * int(np.prod(shape))].view(batch, *shape)
            yb = y[s * batch:(s + 1) * batch]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()

    return lambda: time_repeats(train, batch, n // batch)


def infer_rate(model, x, batch, shape):
    n = x.numel() // int(np.prod(shape))
    model.eval()

    def infer(steps):
        with torch.no_grad():
            for s in range(steps):
                xb = x[s * batch * int(np.prod(shape)):(s + 1) * batch * int(np.prod(shape))].view(batch, *shape)
                torch.softmax(model(xb), dim=1)

    return lambda: time_repeats(infer, batch, n // batch)


def main():
    openblas, blas = blas_info()
    if not openblas:
        message = (f"bench/run_torch.py: torch uses the {blas}, which multiplies matrices some 30-50x slower than the "
                   "OpenBLAS or MKL that any PyTorch a user installs has; install OpenBLAS with "
                   "`apt-get install libopenblas0-pthread` (or run bash bench/setup.sh)")
        if "--allow-reference-blas" not in sys.argv:
            sys.exit(message)
        print("WARNING: " + message, file=sys.stderr)
    x, y, count = read_data(DATA)
    torch.manual_seed(1)
    out = []
    for name, batch in [("lab", 32), ("lab", 128), ("lenet", 32), ("lenet", 128)]:
        torch.manual_seed(1)
        record(out, f"train {name} batch {batch}", "samples/s", train_rate(build(name), x, y, batch, (1, 28, 28)))
    for name in ["lab", "lenet"]:
        torch.manual_seed(1)
        record(out, f"predict {name} batch 128", "samples/s", infer_rate(build(name), x, 128, (1, 28, 28)))
    for name, batch in BIG_TRAIN_CASES:
        label, shape, params = BIG_MODELS[name]
        key = f"train {label} batch {batch}"
        if not wanted(key):
            continue
        torch.manual_seed(1)
        model = build(name)
        if keras_param_count(model) != params:
            sys.exit(f"bench/run_torch.py: {name} has {keras_param_count(model)} parameters (Keras count), expected {params}")
        record(out, key, "samples/s", train_rate(model, x, y, batch, shape))
    for name in BIG_INFER_CASES:
        _, shape, _ = BIG_MODELS[name]
        torch.manual_seed(1)
        record(out, f"predict {name} batch 128", "samples/s", infer_rate(build(name), x, 128, shape))
    n = 1024
    a = torch.rand(n, n)
    b = torch.rand(n, n)

    def gemm(units):
        for _ in range(units):
            torch.mm(a, b)

    record(out, f"GEMM {n}x{n}x{n}", "GFLOP/s", lambda: time_repeats(gemm, 2 * n ** 3, 50, 1e9))
    convs = [
        ("conv lab 28x28x1 -> 5 (3x3 same), batch 32", (32, 1, 28, 28), (5, 1, 3, 3), 1, 28),
        ("conv LeNet-1 28x28x1 -> 6 (5x5 same), batch 32", (32, 1, 28, 28), (6, 1, 5, 5), 2, 28),
        ("conv LeNet-2 14x14x6 -> 16 (5x5 valid), batch 32", (32, 6, 14, 14), (16, 6, 5, 5), 0, 10),
    ]
    for key, xs, ws, pad, o in convs:
        xt = torch.rand(*xs)
        wt = torch.rand(*ws)
        flops = 2 * xs[0] * o * o * ws[0] * ws[1] * ws[2] * ws[3]

        def conv(units, xt=xt, wt=wt, pad=pad):
            with torch.no_grad():
                for _ in range(units):
                    torch.nn.functional.conv2d(xt, wt, padding=pad)

        record(out, key, "GFLOP/s", lambda conv=conv, flops=flops: time_repeats(conv, flops, 1000, 1e9))
    env = ", ".join(f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS") if k in os.environ)
    result = {
        "system": "PyTorch CPU",
        "version": f"torch {torch.__version__} (Debian python3-torch), {blas}",
        "measurements": out,
        "notes": [
            f"PyTorch {torch.__version__} (Debian python3-torch) with {blas}; oneDNN (MKL-DNN) for convolutions: "
            f"{torch.backends.mkldnn.is_available()}; each row timed with 1 and 2 intra-op threads "
            f"(torch.set_num_threads), the faster kept (named per row below); softmax folded into CrossEntropyLoss"
            + (f"; environment: {env}" if env else "; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset"),
        ],
    }
    print("\nRESULT " + json.dumps(result))


main()
