#!/usr/bin/env bash
# Installs what `npm run bench` compares against besides TF.js (an npm devDependency): PyTorch CPU
# as Debian packages it, with OpenBLAS. Debian's python3-torch alone pulls in the netlib reference
# BLAS (libblas3), whose matrix products run at a few GFLOP/s, some 30-50x slower than the OpenBLAS
# or MKL of any PyTorch a user installs; libopenblas0-pthread takes over libblas.so.3 through
# update-alternatives. Then checks which BLAS torch loads, and fails loudly if it is the reference.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
missing=()
for p in python3-torch libopenblas0-pthread; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# As bench/index.ts runs it: without the OpenBLAS core overrides some machines set.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 - <<'PY'
import os, sys, torch
a = torch.rand(64, 64); torch.mm(a, a)
libs = sorted({os.path.realpath(l.split()[-1]) for l in open("/proc/self/maps") if "blas" in l.split()[-1].lower()})
print(f"torch {torch.__version__}, {torch.get_num_threads()} intra-op thread(s) by default; BLAS: {', '.join(libs)}")
if not any("openblas" in p for p in libs):
    sys.exit("bench/setup.sh: torch still loads the reference BLAS; check `update-alternatives --display libblas.so.3-x86_64-linux-gnu`")
print("OK: torch uses OpenBLAS")
PY
