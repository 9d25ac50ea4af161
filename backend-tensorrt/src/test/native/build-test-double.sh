#!/usr/bin/env bash
# Builds the test double of brt_trtllm.h into OUT/libbrt_trtllm_fake.so for the tests (gcc, pthreads).
# SANITIZE=address adds AddressSanitizer (then run the JVM with LD_PRELOAD of libasan).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build-test-double.sh OUT_DIR}"
if [[ "$(uname -s)" != Linux ]] || ! command -v gcc >/dev/null 2>&1; then
  echo "[brt tensorrt] no gcc on Linux: the test double is not built; its tests skip"; exit 0
fi
mkdir -p "$out"
flags=(-std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -fPIC -shared)
[[ "${SANITIZE:-}" == address ]] && flags+=(-fsanitize=address -fno-omit-frame-pointer)
gcc "${flags[@]}" -I"$here/../../main/native/include" "$here/brt_trtllm_fake.c" -lpthread -o "$out/libbrt_trtllm_fake.so"
echo "[brt tensorrt] built $out/libbrt_trtllm_fake.so"
