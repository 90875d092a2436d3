#!/usr/bin/env bash
# Build (once) and install the llama.cpp server wheel for the integration tests, portably.
#
# Why: llama-cpp-python ships only a source distribution; pip compiles it with the build host's native CPU
# flags (-march=native) and caches the wheel by version, not by flags. A wheel compiled on one host
# (e.g. AMD EPYC) and reused on another (Intel with AMX), or compiled natively on an AMX host, segfaults in
# llama_decode. So we compile with GGML_NATIVE=OFF and an explicit, widely available x86-64 feature set,
# never through pip's wheel cache (--no-cache-dir), into a wheelhouse whose folder name states the flags,
# and install only from that folder (--no-index), so no other wheel of the same version can be picked up.
#
# usage: scripts/llama-wheel.sh PIP   (PIP = the virtualenv's pip)
set -euo pipefail
PIP=${1:?usage: llama-wheel.sh PIP}
VERSION=0.3.36
FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_BLAS=OFF"
TAG=portable-avx2-fma-f16c
CACHE=${AIDIGEST_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/aidigest/wheels}
DIR="$CACHE/llama-cpp-python-$VERSION-$TAG"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9  # two set-ups at once (two clones, CI beside a developer) build it once: the second waits
if ! ls "$DIR"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $VERSION ($TAG) from source, once: 6-20 min on 2 cores" >&2
  mkdir -p "$DIR.tmp"
  CMAKE_ARGS="$FLAGS" CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} FORCE_CMAKE=1 \
    "$PIP" wheel --quiet --no-cache-dir --no-deps --no-binary llama-cpp-python \
    -w "$DIR.tmp" "llama-cpp-python==$VERSION"
  echo "$FLAGS" > "$DIR.tmp/CMAKE_ARGS"
  rm -rf "$DIR" && mv "$DIR.tmp" "$DIR"
fi
# only this wheel from this folder; its dependencies (numpy, jinja2, ...) come with the next pip install
"$PIP" install --quiet --no-deps --no-index --find-links "$DIR" "llama-cpp-python==$VERSION"
