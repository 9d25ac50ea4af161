#!/usr/bin/env bash
# Packs what the GPU machine needs into .gpu/ (git-ignored; sent with the device tool's `carry`): a JRE
# (../shared/tools/gpu-jre.sh), the brt jar and its lib/ (JCuda's natives slimmed to the driver binding),
# the cuda module's tests with the JUnit console launcher, and the stories260K test models.
# Run from the repository root after ./mvnw install -DskipTests; then on the GPU machine:
#   bash backend-native-cuda/bench/gpu-run.sh
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
[[ -f .gpu/jre.tar.xz ]] || bash ../shared/tools/gpu-jre.sh
rm -rf .gpu/app .gpu/test .gpu/models
mkdir -p .gpu/app/lib .gpu/test .gpu/models/stories260K .gpu/models/stories260K-gguf-derived
cp server-helidon/target/brt.jar .gpu/app/
for jar in server-helidon/target/lib/*.jar; do
  case $(basename "$jar") in
    jcuda-natives-*) work=$(mktemp -d); (cd "$work" && unzip -q "$root/$jar" 'lib/libJCudaDriver-*' 'META-INF/*' && zip -q -r "$root/.gpu/app/lib/$(basename "$jar")" .); rm -rf "$work" ;;
    *) cp "$jar" .gpu/app/lib/ ;;
  esac
done
repo=${MAVEN_REPO:-$HOME/.m2/repository}
cp "$repo/org/junit/platform/junit-platform-console-standalone/1.14.4/junit-platform-console-standalone-1.14.4.jar" .gpu/test/
cp conformance-tests/target/baremetalrt-conformance-tests-*.jar .gpu/test/
(cd backend-native-cuda/target/test-classes && zip -q -r "$root/.gpu/test/cuda-tests.jar" .)
models=../shared/models
cp "$models/REFERENCE.md" .gpu/models/
cp "$models/stories260K/stories260K.gguf" .gpu/models/stories260K/
cp "$models"/stories260K-gguf-derived/*.gguf .gpu/models/stories260K-gguf-derived/
du -sh .gpu
