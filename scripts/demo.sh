#!/usr/bin/env bash
# Quick start, first command: install what is missing, build (Release), run `ming demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build -DMING_TESTS=OFF -DMING_BENCH=OFF
exec build/ming demo "$@"
