#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, after backend-native-cuda/bench/pack-gpu.sh here:
#   bash backend-native-cuda/bench/gpu-run.sh [tests] [generate] [bench] [bench-nograph]   (default: the first three)
# Logs go to $OUT (the device tool's output folder) or /tmp/brt-gpu.
set -uo pipefail
out=${OUT:-/tmp/brt-gpu}
mkdir -p "$out" /tmp/jre-unpack
[[ -x /tmp/jre-unpack/jre/bin/java ]] || tar xJf .gpu/jre.tar.xz -C /tmp/jre-unpack
java=/tmp/jre-unpack/jre/bin/java
flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g)
nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv | tee "$out/nvidia-smi.txt"
steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(tests generate bench)
cp=$(ls .gpu/app/brt.jar .gpu/app/lib/*.jar .gpu/test/*.jar | grep -v junit-platform-console | tr '\n' ':')
brt() { "$java" "${flags[@]}" -jar .gpu/app/brt.jar "$@" 2> >(grep -v 'Using incubator modules' >&2); }
for step in "${steps[@]}"; do
  case $step in
    tests)
      "$java" "${flags[@]}" -Dbrt.sharedModels=.gpu/models -jar .gpu/test/junit-platform-console-standalone-*.jar execute \
        --class-path "$cp" --select-package dev.baremetalrt.backend.cuda --details=tree --disable-banner 2>&1 \
        | grep -v 'Using incubator modules' > "$out/tests.log"
      grep -E '✘|tests (successful|failed|aborted|skipped)|tensor-core prefill' "$out/tests.log" | head -60 ;;
    generate)
      { echo "== brt generate --backend cuda (stories260K F32, greedy from BOS, 200 tokens)"
        brt generate --model .gpu/models/stories260K/stories260K.gguf --backend cuda --temperature 0 --max-tokens 200 --print-ids
        echo "== brt generate --backend cuda,cpu (mixed plan, 2 stages)"
        brt generate --model .gpu/models/stories260K/stories260K.gguf --backend cuda,cpu --temperature 0 --max-tokens 200 --print-ids
        echo "== brt generate --backend cpu,cuda --prompt 'Once upon a time' (Q8_0, 60 tokens)"
        brt generate --model .gpu/models/stories260K-gguf-derived/stories260K-Q8_0.gguf --backend cpu,cuda --prompt "Once upon a time" --temperature 0 --max-tokens 60 --print-ids
        echo "== brt backends"
        brt backends; } 2>&1 | tee "$out/generate.log" ;;
    bench)
      "$java" "${flags[@]}" -cp "$cp" dev.baremetalrt.backend.cuda.CudaBenchmark ${BENCH_ARGS:-} 2>&1 | grep -v 'Using incubator' | tee "$out/bench-brt.log"
      PYTHONUNBUFFERED=1 python3 backend-native-cuda/bench/torch_eager.py ${TORCH_ARGS:-} 2>&1 | tee "$out/bench-torch.log" ;;
    bench-rows)
      for rows in 1 2 4; do echo "== decode rows per warp: $rows"; BRT_CUDA_DECODE_ROWS=$rows "$java" "${flags[@]}" -cp "$cp" dev.baremetalrt.backend.cuda.CudaBenchmark --prefill 16 ${BENCH_ARGS:-} 2>&1 | grep -v 'Using incubator' | grep -E '^(Q|F|B|device|type)' | tail -4; done 2>&1 | tee "$out/bench-rows.log" ;;
    bench-nograph)
      BRT_CUDA_GRAPHS=false "$java" "${flags[@]}" -cp "$cp" dev.baremetalrt.backend.cuda.CudaBenchmark --prefill 64 ${BENCH_ARGS:-} 2>&1 | grep -v 'Using incubator' | tee "$out/bench-brt-nograph.log" ;;
    *) echo "unknown step $step (tests, generate, bench)"; exit 2 ;;
  esac
done
