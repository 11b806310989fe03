#!/usr/bin/env bash
# Pruning and quantisation, measured: accuracy, size, single-row latency and batch throughput
# of the dense model vs 50/70/80/90/95%-sparse models (gradual pruning with fine-tuning), a
# 90% model pruned in blocks of 16 outputs, and int8, all on the invitation data with the medium network (--hidden 256,256), and ONNX
# Runtime (onnxruntime-node, one thread) on the same-shaped dense network in the same run.
# Usage: bench/compress_bench.sh   env: ROWS (20000), EPOCHS (60 for the dense model),
#        FT_EPOCHS (20), REPEATS (3 bench rounds), BENCH_SECONDS (1 per measurement),
#        BUILD_DIR (build-bench), WORK (/tmp/ming-compress-bench), PYTHON (/usr/bin/python3)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
ROWS=${ROWS:-20000} EPOCHS=${EPOCHS:-60} FT_EPOCHS=${FT_EPOCHS:-20} REPEATS=${REPEATS:-3}
SECONDS_PER=${BENCH_SECONDS:-1} BUILD_DIR=${BUILD_DIR:-build-bench} WORK=${WORK:-/tmp/ming-compress-bench}
PYTHON=${PYTHON:-/usr/bin/python3}
[[ $PYTHON != /usr/bin/python3 ]] || need_debs python3-torch python3-numpy python3-onnx
build_targets ming
ming=$BUILD_DIR/ming
find_ort
mkdir -p "$WORK"
results="$WORK/results.jsonl"
: >"$results"
start_line=$(machine_line)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

echo "training the dense model" >&2
"$ming" generate invitations --rows "$ROWS" --seed 7 -o "$WORK/inv.csv"
"$ming" train "$WORK/inv.csv" --label accepted --hidden 256,256 --epochs "$EPOCHS" --seed 1 \
  -o "$WORK/dense.ming" >/dev/null
"$ming" freeze "$WORK/dense.ming" -o "$WORK/dense_frozen.ming" >/dev/null
for s in 0.5 0.7 0.8 0.9 0.95; do
  echo "pruning to $s" >&2
  "$ming" prune "$WORK/dense.ming" --data "$WORK/inv.csv" --sparsity "$s" \
    --fine-tune-epochs "$FT_EPOCHS" --seed 1 -o "$WORK/sparse_$s.ming" --json |
    "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin); r.update(kind="prune", sparsity=float(sys.argv[1])); print(json.dumps(r))' "$s" >>"$results"
done
echo "pruning to 0.9 in blocks of 16 outputs" >&2
"$ming" prune "$WORK/dense.ming" --data "$WORK/inv.csv" --sparsity 0.9 --block 16 \
  --fine-tune-epochs "$FT_EPOCHS" --seed 1 -o "$WORK/block16_0.9.ming" --json |
  "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin); r.update(kind="prune", name="block16_0.9"); print(json.dumps(r))' >>"$results"
echo "quantising" >&2
"$ming" quantize "$WORK/dense.ming" --data "$WORK/inv.csv" -o "$WORK/int8.ming" --json |
  "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin); r.update(kind="quantize"); print(json.dumps(r))' >>"$results"

# Latency and throughput: every model in each round, interleaved, so load hits them alike.
inputs=$("$ming" info "$WORK/dense_frozen.ming" --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["network"]["inputs"])')
echo "{\"inputs\": $inputs, \"hidden\": [256, 256], \"outputs\": 1}" >"$WORK/medium.json"
echo '{"inputs": 1, "hidden": [], "outputs": 1}' >"$WORK/empty.json"
if ((ort)); then
  "$PYTHON" bench/export_onnx.py "$WORK/medium.json" "$WORK/medium.onnx"
  "$PYTHON" bench/export_onnx.py --identity "$WORK/empty.json" "$WORK/empty.onnx"
fi
for round in $(seq "$REPEATS"); do
  echo "bench round $round/$REPEATS" >&2
  for m in dense_frozen sparse_0.5 sparse_0.7 sparse_0.8 sparse_0.9 sparse_0.95 block16_0.9 int8; do
    "$ming" bench "$WORK/$m.ming" --data "$WORK/inv.csv" --seconds "$SECONDS_PER" --json |
      "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin); r.update(kind="bench", name=sys.argv[1]); print(json.dumps(r))' "$m" >>"$results"
  done
  if ((ort)); then
    node bench/ort/predict.js medium "$WORK" 50000 | sed 's/^{/{"kind":"ort",/' >>"$results"
    node bench/ort/predict.js empty "$WORK" 50000 | sed 's/^{/{"kind":"ort",/' >>"$results"
  fi
done

echo
echo "## Pruning and quantisation (invitation data, $ROWS rows, --hidden 256,256; bench medians of $REPEATS rounds)"
echo
echo "$start_line (at start)"
echo "$(machine_line) (at end)"
echo
"$PYTHON" bench/compress_report.py "$results"
echo
echo "Raw results: $results"
