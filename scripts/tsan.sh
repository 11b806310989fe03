#!/usr/bin/env bash
# ThreadSanitizer run over the multi-threaded code: the server (HTTP event threads, dynamic
# batching, hot reload, explain pool: server_test runs the TSan-built `ming serve`), the
# thread pool, data-parallel training and batch inference. Any report fails the run.
# Usage: scripts/tsan.sh [BUILD_DIR]   (default build-tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
dir=${1:-build-tsan}
tests=(util_test train_test runtime_test server_test)
cmake -S . -B "$dir" -G Ninja -DMING_TSAN=ON -DMING_TESTS=ON -DMING_BENCH=OFF -DMING_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" >/dev/null
cmake --build "$dir" -j "$(nproc)" --target ming "${tests[@]}"
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
for t in "${tests[@]}"; do
  echo "tsan: $t"
  "$dir/tests/$t" --gtest_brief=1
done
