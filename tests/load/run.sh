#!/usr/bin/env bash
# Load and lifecycle checks for `ming serve` (tests/load/load_test.py): steady load at ~80%
# of peak with RSS/open-file/thread sampling, a leaking build that the check must catch,
# overload with 512 connections, hot reloads with corrupt versions under load, SIGTERM
# under load. Needs a Release build (not a sanitizer build: the leak check preloads a shim).
# Usage: tests/load/run.sh [BUILD_DIR] [--full] [--only steady overload reloads sigterm]
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build}
shift || true
scripts/setup.sh wrk gcc python3
if [[ ! -x $dir/ming ]]; then scripts/build.sh "$dir"; fi
shim=$(mktemp -d)/leak_shim.so
trap 'rm -rf "$(dirname "$shim")"' EXIT
cc -O2 -shared -fPIC -o "$shim" tests/load/leak_shim.c -ldl
python3 tests/load/load_test.py --ming "$dir/ming" --shim "$shim" "$@"
