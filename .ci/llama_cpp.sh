#!/usr/bin/env bash
# Build llama-cpp-python from its sdist (the llama.cpp it vendors, compiled here) and keep the
# wheel with that same sdist's convert_hf_to_gguf.py and gguf-py, in a cache folder that later
# CI runs on this machine reuse; then install the wheel into the current interpreter.
#
#   bash .ci/llama_cpp.sh [python]      # python defaults to `python`
#
# Prints the cache folder on its last line. tests/runtime_llama.py finds it the same way
# (HEADMIX_LLAMA_CPP_CACHE, default ~/.cache/headmix/ci/llama-cpp-python-<version>).
set -euo pipefail
PY=${1:-python}
VERSION=0.3.36
CACHE=${HEADMIX_LLAMA_CPP_CACHE:-$HOME/.cache/headmix/ci/llama-cpp-python-$VERSION}
if [ ! -f "$CACHE/done" ]; then
    start=$(date +%s)
    rm -rf "$CACHE.tmp"
    mkdir -p "$CACHE.tmp/sdist" "$CACHE.tmp/wheel"
    "$PY" -m pip download -q --no-binary :all: --no-deps "llama-cpp-python==$VERSION" -d "$CACHE.tmp/sdist"
    tar -xzf "$CACHE.tmp/sdist/llama_cpp_python-$VERSION.tar.gz" -C "$CACHE.tmp"
    mv "$CACHE.tmp/llama_cpp_python-$VERSION" "$CACHE.tmp/src"
    # A portable CPU build (no -march=native: the cache may outlive the CPU it was built on),
    # two jobs for CI's two cores, no server/examples/tests: only the library the bindings load.
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_CURL=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL=2 \
        nice -n 10 "$PY" -m pip wheel -q --no-deps "$CACHE.tmp/src" -w "$CACHE.tmp/wheel"
    # the converter and gguf-py of the very llama.cpp that was compiled; the rest of the source is not needed
    mkdir -p "$CACHE.tmp/llama.cpp"
    cp "$CACHE.tmp/src/vendor/llama.cpp/convert_hf_to_gguf.py" "$CACHE.tmp/llama.cpp/"
    cp -r "$CACHE.tmp/src/vendor/llama.cpp/conversion" "$CACHE.tmp/src/vendor/llama.cpp/gguf-py" "$CACHE.tmp/llama.cpp/"
    cp "$CACHE.tmp/src/CHANGELOG.md" "$CACHE.tmp/llama.cpp/" 2>/dev/null || true
    rm -rf "$CACHE.tmp/src" "$CACHE.tmp/sdist"
    echo "built in $(( $(date +%s) - start )) s on $(nproc) cores" > "$CACHE.tmp/done"
    rm -rf "$CACHE"
    mv "$CACHE.tmp" "$CACHE"
fi
# its runtime dependencies (numpy, diskcache, jinja2, typing-extensions) come from the package registry
"$PY" -m pip install -q "$CACHE"/wheel/llama_cpp_python-*.whl
echo "$CACHE"
