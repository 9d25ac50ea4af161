#!/usr/bin/env bash
# A three-host "LAN" on one Linux machine: network namespaces on a bridge, 10.77.0.1-3, each link delayed by
# DELAY (default 1ms, tc netem, where the kernel has it). Two `brt node` processes split stories260K; a third host runs
# `brt generate --cluster` and its greedy ids are compared with REFERENCE.md. Needs root (ip netns, tc).
#   sudo cluster-hazelcast/bench/lan-netns.sh [MODEL]          (MULTICAST=1: --multicast instead of --join)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="${1:-$root/../shared/models/stories260K/stories260K.gguf}"
reference="$root/../shared/models/REFERENCE.md"
delay="${DELAY:-1ms}"
work="$(mktemp -d)"
cleanup() {
  for p in "$work"/*.pid; do [[ -f "$p" ]] && kill "$(cat "$p")" 2>/dev/null || true; done
  sleep 1
  for i in 1 2 3; do ip netns del "brt-n$i" 2>/dev/null || true; done
  ip link del brt-br0 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip link add brt-br0 type bridge && ip link set brt-br0 up
for i in 1 2 3; do
  ip netns add "brt-n$i"
  ip link add "brt-v$i" type veth peer name eth0 netns "brt-n$i"
  ip link set "brt-v$i" master brt-br0 up
  ip netns exec "brt-n$i" ip addr add "10.77.0.$i/24" dev eth0
  ip netns exec "brt-n$i" ip link set eth0 up
  ip netns exec "brt-n$i" ip link set lo up
  if ! ip netns exec "brt-n$i" tc qdisc add dev eth0 root netem delay "$delay" 2>/dev/null; then
    [[ $i == 1 ]] && echo "no netem in this kernel: links without added delay"
  fi
done
join=(--join 10.77.0.1,10.77.0.2)
[[ "${MULTICAST:-}" == 1 ]] && join=(--multicast) # members find each other by multicast instead of a list
for i in 1 2; do
  BRT_HOME="$work/home$i" ip netns exec "brt-n$i" "$root/brt" node --cluster-name lan-test --cluster-host "10.77.0.$i" "${join[@]}" \
    --model "$model" --no-calibrate >"$work/node$i.log" 2>&1 &
  echo $! >"$work/node$i.pid"
done
start=$(date +%s)
BRT_HOME="$work/home3" ip netns exec brt-n3 "$root/brt" generate --cluster --cluster-name lan-test --cluster-host 10.77.0.3 "${join[@]}" \
  --model "$model" --prompt "" --max-tokens 200 --temperature 0 --print-ids >"$work/generate.out" 2>"$work/generate.err"
echo "generate finished in $(( $(date +%s) - start )) s (joining, planning and loading included)"
grep -v '^[0-9 ]*$' "$work/generate.err" | tail -1
ids="$(grep -E '^[0-9 ]+$' "$work/generate.out" | tail -1)"
expected="$(sed -n 15p "$reference")"
if [[ "$ids" == "$expected" ]]; then echo "LAN: the 200 greedy ids equal REFERENCE.md"; else echo "LAN: ids DIFFER from REFERENCE.md"; tail -20 "$work/generate.err"; exit 1; fi
