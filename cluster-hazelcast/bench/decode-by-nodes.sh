#!/usr/bin/env bash
# Single-stream greedy decode speed of one model split over 1, 2 and 3 local `brt node` processes on
# loopback (separate JVMs), next to the same model in one process: what each extra hop costs.
#   bash cluster-hazelcast/bench/decode-by-nodes.sh MODEL.gguf [TOKENS] [WIRE]
# Every configuration generates twice and reports the second (warm JIT) run. THREADS (default: all cores)
# sets the worker threads of every process.
# e.g. ./brt synth --shape tinyllama-1.1b --type F16 --out /tmp/tl-f16.gguf
#      bash cluster-hazelcast/bench/decode-by-nodes.sh /tmp/tl-f16.gguf 64 f32
# The nodes share this machine's cores (--no-calibrate: even spans); only one stage works at a time in a
# single stream, so each gets the whole machine while it works.
set -euo pipefail
MODEL=${1:?usage: decode-by-nodes.sh MODEL [TOKENS] [WIRE]}
TOKENS=${2:-64}
WIRE=${3:-f32}
THREADS=${THREADS:-0}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BRT="$ROOT/brt"
LOGS=$(mktemp -d)
BASE=$((26000 + RANDOM % 2000))
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

rate() { sed -n 's/.*generated \([0-9]*\) tokens, \([0-9.]*\) tok\/s.*/\2/p' "$1" | tail -1; }

for run in 1 2; do
  "$BRT" generate --model "$MODEL" --threads "$THREADS" --prompt "Once upon a time" --max-tokens "$TOKENS" --temperature 0 > "$LOGS/local.out" 2> "$LOGS/local.err"
done
echo "one process (no cluster): $(rate "$LOGS/local.err") tok/s"

for n in 1 2 3; do
  JOIN=""
  for i in $(seq 0 "$n"); do JOIN="$JOIN${JOIN:+,}127.0.0.1:$((BASE + i))"; done
  PIDS=()
  for i in $(seq 0 $((n - 1))); do
    "$BRT" node --model "$MODEL" --threads "$THREADS" --no-calibrate --join "$JOIN" --cluster-port $((BASE + i)) --cluster-name "bench-$BASE-$n" > "$LOGS/node-$n-$i.log" 2>&1 &
    PIDS+=($!)
  done
  for i in $(seq 0 $((n - 1))); do
    until grep -q "joined cluster" "$LOGS/node-$n-$i.log" 2>/dev/null; do sleep 0.5; done
  done
  for run in 1 2; do
    "$BRT" generate --cluster --join "$JOIN" --cluster-port $((BASE + n)) --cluster-name "bench-$BASE-$n" --wire "$WIRE" --threads "$THREADS" \
        --model "$MODEL" --prompt "Once upon a time" --max-tokens "$TOKENS" --temperature 0 > "$LOGS/gen-$n.out" 2> "$LOGS/gen-$n.err"
  done
  cmp -s "$LOGS/local.out" "$LOGS/gen-$n.out" && same="same text as one process" || same="TEXT DIFFERS from one process"
  echo "$n node(s), wire $WIRE: $(rate "$LOGS/gen-$n.err") tok/s ($same)"
  cleanup
  BASE=$((BASE + 10))
done
echo "logs: $LOGS"
