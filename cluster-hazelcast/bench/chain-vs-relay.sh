#!/usr/bin/env bash
# Single-stream decode with stages chained (each hands its hidden states to the next) against relayed (every
# hop through the client), alternating, against one cluster of N local `brt node` processes (1 thread each).
#   bash cluster-hazelcast/bench/chain-vs-relay.sh MODEL N [TOKENS] [ROUNDS]
# The first round warms the nodes' JIT for both paths; compare the later ones.
set -euo pipefail
MODEL=${1:?usage: chain-vs-relay.sh MODEL N [TOKENS] [ROUNDS]}; N=${2:?number of nodes}; TOKENS=${3:-400}; ROUNDS=${4:-4}
BRT="$(cd "$(dirname "$0")/../.." && pwd)/brt"; LOGS=$(mktemp -d); BASE=$((28000 + RANDOM % 1000)); PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
JOIN=""; for i in $(seq 0 "$N"); do JOIN="$JOIN${JOIN:+,}127.0.0.1:$((BASE + i))"; done
for i in $(seq 0 $((N - 1))); do
  "$BRT" node --model "$MODEL" --threads 1 --no-calibrate --join "$JOIN" --cluster-port $((BASE + i)) --cluster-name "ab-$BASE" > "$LOGS/node-$i.log" 2>&1 &
  PIDS+=($!)
done
for i in $(seq 0 $((N - 1))); do until grep -q "joined cluster" "$LOGS/node-$i.log" 2>/dev/null; do sleep 0.5; done; done
sleep 5
for r in $(seq 1 "$ROUNDS"); do for mode in true false; do
  BRT_CLUSTER_CHAIN=$mode "$BRT" generate --cluster --join "$JOIN" --cluster-port $((BASE + N)) --cluster-name "ab-$BASE" --threads 1 \
     --model "$MODEL" --prompt "Once upon a time" --max-tokens "$TOKENS" --temperature 0 > "$LOGS/gen.out" 2> "$LOGS/gen.err"
  echo "chain=$mode $(grep -o '[0-9]* stage(s)' "$LOGS/gen.err" | head -1) $(sed -n 's/.*generated \([0-9]*\) tokens, \([0-9.]*\) tok\/s.*/\2/p' "$LOGS/gen.err" | tail -1) tok/s"
done; done
