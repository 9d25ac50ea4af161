#!/usr/bin/env bash
# Builds the JNI layer (jni/brt_trtllm_jni.c, gcc only: it opens TensorRT-LLM's bridge with dlopen at run time)
# into OUT/libbrt_trtllm_jni.so. Run by Maven at compile time; without gcc or off Linux it says so and the jar
# simply has no JNI layer (the backend's probe then explains).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build-jni.sh OUT_DIR}"
if [[ "$(uname -s)" != Linux ]]; then
  echo "[brt tensorrt] not Linux: the JNI layer is not built here (build the jar on Linux)"; exit 0
fi
if ! command -v gcc >/dev/null 2>&1; then
  echo "[brt tensorrt] gcc not found: the JNI layer is not built; tensorrt-llm will be unavailable"; exit 0
fi
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
mkdir -p "$out"
lib="$out/libbrt_trtllm_jni.so"
if [[ -f "$lib" && "$lib" -nt "$here/jni/brt_trtllm_jni.c" && "$lib" -nt "$here/include/brt_trtllm.h" ]]; then
  echo "[brt tensorrt] JNI layer up to date: $lib"; exit 0
fi
gcc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden \
  -I"$here/include" -I"$java_home/include" -I"$java_home/include/linux" \
  "$here/jni/brt_trtllm_jni.c" -ldl -o "$lib"
echo "[brt tensorrt] built $lib"
