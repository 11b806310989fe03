#!/usr/bin/env bash
# Quick start, second command: install what is missing, build, run the whole test suite.
# Usage: scripts/test.sh [BUILD_DIR [cmake options...]]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
dir=${1:-build}
shift || true
scripts/build.sh "$dir" -DMING_TESTS=ON "$@"
ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
