#!/usr/bin/env bash
# Builds and installs libbrt_trtllm.so (the TensorRT-LLM side of brt_trtllm.h) with CMake:
#   TRTLLM_ROOT=/opt/TensorRT-LLM TENSORRT_ROOT=/usr/local/tensorrt backend-tensorrt/src/main/native/trtllm/build.sh
# installs to $BRT_HOME/tensorrt-llm (default ~/.baremetalrt/tensorrt-llm), where the tensorrt-llm backend looks.
# With --if-configured (what Maven runs) it does nothing, and says so, unless TRTLLM_ROOT is set.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ "${1:-}" == --if-configured && -z "${TRTLLM_ROOT:-}" ]]; then
  echo "[brt tensorrt] TRTLLM_ROOT not set: the TensorRT-LLM bridge (libbrt_trtllm.so) is not built; the JNI layer and the Java backend are"
  exit 0
fi
: "${TRTLLM_ROOT:?set TRTLLM_ROOT to a TensorRT-LLM source tree with its C++ build, or an installed tensorrt_llm package}"
command -v cmake >/dev/null || { echo "[brt tensorrt] cmake not found" >&2; exit 1; }
dest="${BRT_HOME:-$HOME/.baremetalrt}/tensorrt-llm"
build="${BRT_TRTLLM_BUILD_DIR:-$here/../../../../target/trtllm-build}"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTRTLLM_ROOT="$TRTLLM_ROOT" ${TENSORRT_ROOT:+-DTENSORRT_ROOT="$TENSORRT_ROOT"} \
  -DCMAKE_INSTALL_PREFIX="$dest"
cmake --build "$build" -j"$(nproc)"
cmake --install "$build"
echo "[brt tensorrt] installed $dest/libbrt_trtllm.so"
