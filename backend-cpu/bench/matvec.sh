#!/usr/bin/env bash
# Decode-style matrix-vector products of several weight types, interleaved in one JVM (MatVecBenchmark).
# Usage: bash backend-cpu/bench/matvec.sh [--types Q4_0,Q4_K] [--positions 1,8,8g]  (g: the register-tile path) [--threads 2] [--rounds 40] [--matrices 8] [--rows 5632] [--cols 2048]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
jdk=""
for c in ${JAVA_HOME:-} /usr/lib/jvm/*; do
  [[ -x "$c/bin/javac" ]] || continue
  v="$("$c/bin/java" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print v[1]; exit}')"
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 25 ]] && { jdk="$c"; break; }
done
[[ -n "$jdk" ]] || { echo "matvec.sh: no JDK 25 or newer found (looked at JAVA_HOME and /usr/lib/jvm)" >&2; exit 1; }
export JAVA_HOME="$jdk"
(cd "$root" && ./mvnw -B -q -o install -DskipTests -pl spi && ./mvnw -B -q -o test-compile -pl backend-cpu) >&2
cp="$root/backend-cpu/target/test-classes:$root/backend-cpu/target/classes:$root/spi/target/classes"
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Xmx8g -cp "$cp" dev.baremetalrt.backend.cpu.MatVecBenchmark "$@" 2>&1 \
  | grep -v "WARNING: Using incubator modules"
