#!/usr/bin/env bash
# Compiles brt_kernels.cu into one fatbin: cubins for sm_80/86/89/90 and compute_80 PTX (which newer
# GPUs JIT-compile). Called by Maven (exec-maven-plugin) with the output folder; without nvcc it says so
# and writes nothing, the build still succeeds, and the cuda backend's probe() reports the missing kernels.
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)/brt_kernels.cu"
out_dir="$1"
out="$out_dir/dev/baremetalrt/backend/cuda/brt_kernels.fatbin"
nvcc="${NVCC:-}"
if [[ -z $nvcc ]]; then
  for c in nvcc /usr/local/cuda/bin/nvcc /usr/local/bin/nvcc; do
    if command -v "$c" >/dev/null 2>&1; then nvcc=$(command -v "$c"); break; fi
  done
fi
if [[ -z $nvcc ]]; then
  echo "[brt kernels] nvcc not found: the cuda backend's kernels are NOT built (install the CUDA toolkit 13 or set NVCC)"
  rm -f "$out"
  exit 0
fi
if [[ -f $out && $out -nt $src && $out -nt $0 && $out -nt ${src%/*}/formats.cuh && $out -nt ${src%/*}/matrix.cuh ]]; then
  echo "[brt kernels] up to date: $out"
  exit 0
fi
mkdir -p "$(dirname "$out")"
start=$(date +%s)
"$nvcc" -fatbin -O3 -std=c++17 --threads 0 -Xptxas -warn-spills \
  -gencode arch=compute_80,code=sm_80 -gencode arch=compute_86,code=sm_86 \
  -gencode arch=compute_89,code=sm_89 -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_80,code=compute_80 \
  -o "$out.tmp" "$src"
mv "$out.tmp" "$out"
echo "[brt kernels] $("$nvcc" --version | tail -1 | sed 's/^Build //') built $out ($(stat -c %s "$out") bytes) in $(( $(date +%s) - start )) s"
