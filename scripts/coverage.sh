#!/usr/bin/env bash
# Line and branch coverage of the code that reads untrusted input (CSV parsing and
# preprocessing, the file format and model loader, the HTTP edge and protocol handling),
# from the whole test suite plus the committed fuzz corpora (replayed as ctests).
# Builds with GCC --coverage in its own directory (counters updated atomically: the
# server's threads would otherwise race on them and gcov report negative counts); prints gcovr's per-file table and the
# totals, and writes an HTML report to BUILD_DIR/coverage.html.
# Usage: scripts/coverage.sh [BUILD_DIR]   (default build-cov)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh gcovr
dir=${1:-build-cov}
scripts/build.sh "$dir" -DMING_TESTS=ON -DMING_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" "-DCMAKE_CXX_FLAGS=--coverage -fprofile-update=atomic" \
  "-DCMAKE_EXE_LINKER_FLAGS=--coverage"
find "$dir" -name '*.gcda' -delete
ctest --test-dir "$dir" -j "$(nproc)" --output-on-failure
# The input-facing code: parsers, loaders, validators, the request path.
filters=(src/data/csv.cc src/data/schema.cc src/data/preprocess.cc src/data/preprocess_encode.cc
         src/data/preprocess_json.cc src/data/utf8.cc src/format/container.cc src/runtime/model_file.cc
         src/runtime/frozen.cc src/nn/config.cc src/train/checkpoint.cc src/util/file.cc
         server/acceptor.cc server/conn_watchdog.cc server/http_server.cc server/router.cc server/v2_json.cc server/v1_json.cc
         server/protocol.cc server/model_store.cc)
args=(-r . --object-directory "$dir" --exclude-throw-branches --exclude-unreachable-branches
      --gcov-exclude '.*CMakeCXXCompilerId.*')
for f in "${filters[@]}"; do args+=(--filter "$f"); done
gcovr "${args[@]}" --txt --branches
gcovr "${args[@]}" --txt
gcovr "${args[@]}" --html-details "$dir/coverage.html" >/dev/null
