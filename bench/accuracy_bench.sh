#!/usr/bin/env bash
# Test accuracy of `ming train` with its defaults (only --label) next to a carefully set-up
# PyTorch MLP, scikit-learn's MLP and two gradient-boosted tree libraries, on the same
# train/val/test files; prints markdown (the tables in docs/defaults.md).
# Usage: bench/accuracy_bench.sh [WORK_DIR]
#   env: SEEDS (3: splits per data set; the wide set gets 1), SMALL_SEEDS (5: for the sets
#        under 2,000 rows, whose test sets are tiny), BUILD_DIR (build-bench),
#        MING (a ming binary to use instead of building one), DATASETS, MODELS
#        (comma lists, see bench/accuracy_bench.py --help), CANDIDATE ('NAME:--flags ...',
#        an extra ming column with those flags added to the defaults)
# About 9-15 minutes on 2 cores (machine load). Data and models go to WORK_DIR (/tmp/ming-accuracy-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
WORK=${1:-/tmp/ming-accuracy-bench}
SEEDS=${SEEDS:-3} SMALL_SEEDS=${SMALL_SEEDS:-5} BUILD_DIR=${BUILD_DIR:-build-bench}
need_debs python3-torch python3-sklearn python3-numpy python3-xgboost
if [[ -z ${MING:-} ]]; then
  build_targets ming
  MING=$BUILD_DIR/ming
fi
mkdir -p "$WORK"
extra=()
[[ -z ${DATASETS:-} ]] || extra+=(--datasets "$DATASETS")
[[ -z ${MODELS:-} ]] || extra+=(--models "$MODELS")
[[ -z ${CANDIDATE:-} ]] || extra+=(--candidate "$CANDIDATE")
start_line=$(machine_line)
/usr/bin/python3 bench/accuracy_bench.py "$MING" --work "$WORK" --seeds "$SEEDS" \
  --small-seeds "$SMALL_SEEDS" \
  --json "$WORK/results.json" --md "$WORK/results.md" "${extra[@]}" >/dev/null

echo "## Test accuracy with defaults (mean over $SEEDS seeds; sets under 2,000 rows: $SMALL_SEEDS; wide: 1)"
echo
echo "$start_line (at start)"
echo "$(machine_line) (at end)"
echo
echo "Classification: test accuracy (seconds per fit). Regression: test RMSE / R2 (seconds)."
echo
cat "$WORK/results.md"
echo
echo "Raw results: $WORK/results.json"
