#!/usr/bin/env bash
# Inference latency and batch throughput, ming vs PyTorch (eager and TorchScript, from Python
# and, when libtorch-dev is there, from C++) vs ONNX Runtime (onnxruntime-node), in one run;
# one thread each; prints markdown.
# Usage: bench/predict_bench.sh   env: REPEATS (3 rounds), CALLS (200000 timed single-row calls
#        for ming), PEER_CALLS (50000 for the peers), BUILD_DIR (build-bench),
#        WORK (/tmp/ming-predict-bench), PYTHON (/usr/bin/python3, Debian torch 1.13)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
REPEATS=${REPEATS:-3} CALLS=${CALLS:-200000} PEER_CALLS=${PEER_CALLS:-50000}
BUILD_DIR=${BUILD_DIR:-build-bench} WORK=${WORK:-/tmp/ming-predict-bench}
PYTHON=${PYTHON:-/usr/bin/python3}  # another interpreter with torch may be named instead
[[ $PYTHON != /usr/bin/python3 ]] || need_debs python3-torch python3-numpy
targets=(predict_bench)
if need_debs libtorch-dev; then
  CMAKE_EXTRA=-DMING_BENCH_TORCH=ON
  targets+=(torchscript_predict)
else
  echo "libtorch-dev unavailable: no TorchScript-from-C++ figures" >&2
fi
build_targets "${targets[@]}"
find_ort
mkdir -p "$WORK"
results="$WORK/results.jsonl"
: >"$results"
start_line=$(machine_line)

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
for round in $(seq "$REPEATS"); do
  for cfg in small medium; do
    echo "round $round/$REPEATS: $cfg" >&2
    "$BUILD_DIR/bench/predict_bench" "$cfg" "$WORK" "$CALLS" >>"$results"
    "$PYTHON" bench/torchscript_predict.py "$cfg" "$WORK" "$PEER_CALLS" >>"$results"
    if [[ -x "$BUILD_DIR/bench/torchscript_predict" ]]; then
      "$BUILD_DIR/bench/torchscript_predict" "$cfg" "$WORK" "$PEER_CALLS" >>"$results"
    fi
    if ((ort)) && [[ -f "$WORK/$cfg.onnx" ]]; then
      node bench/ort/predict.js "$cfg" "$WORK" "$PEER_CALLS" >>"$results"
    fi
  done
done

echo
echo "## Inference latency, one thread (median of $REPEATS rounds)"
echo
echo "$start_line (at start)"
echo "$(machine_line) (at end)"
echo
echo "p50/p99: each single-row call timed on its own (ming: $CALLS calls, peers: $PEER_CALLS;"
echo "steady_clock/perf_counter_ns/hrtime around the call, so the language's call overhead is in"
echo "the figure); mean: wall time of an untimed loop / calls (inflated when the machine is busy);"
echo "batch: the fastest of at least 5 calls of 1024 rows over 0.5 s. Max RSS: peak of the process."
echo
"$PYTHON" bench/report.py predict "$results"
echo
echo "Raw results: $results"
