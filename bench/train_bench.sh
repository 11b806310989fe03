#!/usr/bin/env bash
# Training throughput, ming vs PyTorch 1.13 (Debian, OpenBLAS), in one run; prints markdown.
# Usage: bench/train_bench.sh        env: REPEATS (3), EPOCHS (3 timed after 1 warm-up),
#                                         CONFIGS ("small medium wide embed"),
#                                         MAX_SECONDS (12: cap on one timed PyTorch run),
#                                         BUILD_DIR (build-bench), WORK (/tmp/ming-train-bench),
#                                         PYTHON (/usr/bin/python3, Debian torch 1.13)
# Rounds interleave the tools so that load from other processes hits both alike; every
# figure is the median over the rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
REPEATS=${REPEATS:-3} EPOCHS=${EPOCHS:-3} BUILD_DIR=${BUILD_DIR:-build-bench}
WORK=${WORK:-/tmp/ming-train-bench}
PYTHON=${PYTHON:-/usr/bin/python3}  # another interpreter with torch may be named instead
[[ $PYTHON != /usr/bin/python3 ]] || need_debs python3-torch python3-numpy
build_targets train_bench
mkdir -p "$WORK"
results="$WORK/results.jsonl"
: >"$results"
start_line=$(machine_line)
"$BUILD_DIR/bench/train_bench" write-data "$WORK"

# Thread settings for PyTorch: "torch intra-op threads, OpenBLAS threads".
torch_settings=("1 2" "1 1" "2 1")
for round in $(seq "$REPEATS"); do
  for cfg in ${CONFIGS:-small medium wide embed}; do
    echo "round $round/$REPEATS: $cfg" >&2
    for t in 1 2; do
      "$BUILD_DIR/bench/train_bench" run "$WORK" "$cfg" "$t" 1 "$EPOCHS" >>"$results"
    done
    for s in "${torch_settings[@]}"; do
      read -r tt bt <<<"$s"
      OMP_NUM_THREADS=$tt OPENBLAS_NUM_THREADS=$bt \
        "$PYTHON" bench/torch_train.py "$WORK" "$cfg" "$tt" 1 "$EPOCHS" >>"$results"
    done
  done
done

echo
echo "## Training throughput (median of $REPEATS rounds, $EPOCHS epochs timed after 1 warm-up)"
echo
echo "$start_line (at start)"
echo "$(machine_line) (at end)"
echo
echo "GFLOP/s = 6 x forward MACs per sample x samples/s (forward 2, backward 4 per MAC)."
echo
"$PYTHON" bench/report.py train "$results"
echo
echo "Raw results: $results"
