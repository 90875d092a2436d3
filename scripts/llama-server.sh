#!/usr/bin/env bash
# Build (once) llama.cpp's own `llama-server` (parallel slots: `-np N`, continuous batching), portably, and print
# the path of the binary. Used by bench/local_concurrency.py and the optional llama.cpp slots test; `make test`
# does not call it (the build takes ~10-25 min on 2 shared cores).
#
# Why this and not llama-cpp-python's server: `python -m llama_cpp.server` answers one request at a time (it has no
# parallel-slots option), so it cannot tell what `llm.concurrency` a local server with slots wants.
# Where the sources come from: nothing is fetched from GitHub; the llama-cpp-python sdist on PyPI (the same
# version as scripts/llama-wheel.sh) vendors llama.cpp in vendor/llama.cpp. Same portable CPU flags as the wheel
# (GGML_NATIVE=OFF: a binary built on one x86-64 host must not crash on another), no BLAS, no OpenSSL, no web UI
# (LLAMA_BUILD_UI=OFF and LLAMA_USE_PREBUILT_UI=OFF: no npm, no download from a Hugging Face bucket; the server
# then embeds an empty asset table and serves only the API), static libraries so the binary stands alone.
#
# usage: scripts/llama-server.sh [PYTHON]   (PYTHON runs `-m pip download`; default python3)
#        prints the binary's path on stdout; progress goes to stderr
set -euo pipefail
PYTHON=${1:-python3}
VERSION=0.3.36
FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_BLAS=OFF"
OPTS="-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
-DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
-DLLAMA_OPENSSL=OFF"
CACHE=${AIDIGEST_LLAMA_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aidigest}
DIR="$CACHE/llama-server-$VERSION-portable"
BIN="$DIR/llama-server"
mkdir -p "$CACHE"
exec 9>"$CACHE/.llama-server.lock"
flock 9  # two set-ups at once build it once: the second waits, then finds the binary
if [ ! -x "$BIN" ]; then
  echo "building llama-server from llama-cpp-python $VERSION's vendored llama.cpp, once: 10-25 min on 2 cores" >&2
  WORK=$(mktemp -d "$CACHE/llama-server-build.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: -d "$WORK" "llama-cpp-python==$VERSION" >&2
  tar -xzf "$WORK/llama_cpp_python-$VERSION.tar.gz" -C "$WORK"
  SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
  # shellcheck disable=SC2086  # FLAGS/OPTS are lists of words
  nice -n 15 cmake -S "$SRC" -B "$WORK/build" -G Ninja $FLAGS $OPTS >&2
  nice -n 15 cmake --build "$WORK/build" --target llama-server -j "${CMAKE_BUILD_PARALLEL_LEVEL:-2}" >&2
  mkdir -p "$DIR.tmp"
  cp "$WORK/build/bin/llama-server" "$DIR.tmp/llama-server"
  echo "$FLAGS $OPTS" > "$DIR.tmp/CMAKE_ARGS"
  "$DIR.tmp/llama-server" --version > "$DIR.tmp/VERSION" 2>&1 || true
  rm -rf "$DIR" && mv "$DIR.tmp" "$DIR"
fi
echo "$BIN"
