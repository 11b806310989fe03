#!/usr/bin/env bash
# Explanation speed on the demo model (Ming's invitations, 11 fields, hidden 256,128):
# per-row exact Shapley contributions at one thread (median and p90 over 300 rows), and
# global importance (Shapley importance + permutation importance + rule of thumb) over
# 10,000 rows at 1 and at all threads. Prints markdown; the median of REPEATS rounds.
# There is no Debian-packaged peer (the shap package is not in Debian 12), so no peer column.
# Usage: bench/explain_bench.sh   env: REPEATS (3), BUILD_DIR (build-bench),
#        WORK (/tmp/ming-explain-bench), BACKGROUND (8 background rows, the default)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
REPEATS=${REPEATS:-3} BUILD_DIR=${BUILD_DIR:-build-bench} WORK=${WORK:-/tmp/ming-explain-bench}
BACKGROUND=${BACKGROUND:-8}
build_targets explain_bench ming
mkdir -p "$WORK"
"$BUILD_DIR/ming" demo --dir "$WORK" --threads 1 >/dev/null
model="$WORK/invitations.ming" csv="$WORK/invitations.csv"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
nproc_all=$(getconf _NPROCESSORS_ONLN)
: >"$WORK/results.jsonl"
start_line=$(machine_line)
for round in $(seq "$REPEATS"); do
  echo "round $round/$REPEATS" >&2
  "$BUILD_DIR/bench/explain_bench" "$model" "$csv" 300 10000 1 "$BACKGROUND" >>"$WORK/results.jsonl"
  "$BUILD_DIR/bench/explain_bench" "$model" "$csv" 0 10000 "$nproc_all" "$BACKGROUND" >>"$WORK/results.jsonl" || true
done
python3 - "$WORK/results.jsonl" "$start_line" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
one = [r for r in rows if r.get("global_threads") == 1]
many = [r for r in rows if r.get("global_threads", 1) != 1]
med = lambda xs: statistics.median(xs)
print(sys.argv[2])
print()
print("| measure | ming | target |")
print("| --- | ---: | ---: |")
r = one[0]
print(f"| per-row exact contributions, 1 thread, median ({r['fields']} fields, {r['background_rows']} background rows, "
      f"{med([x['evaluations_mean'] for x in one]):.0f} network rows) | {med([x['row_us_median'] for x in one])/1000:.2f} ms | < 1 ms |")
print(f"| per-row, 1 thread, p90 | {med([x['row_us_p90'] for x in one])/1000:.2f} ms | |")
print(f"| global importance + permutation + rule, 10,000 rows, 1 thread (CPU time) | {med([x['global_s'] for x in one]):.2f} s ({med([x['global_cpu_s'] for x in one]):.2f} s) | < 5 s |")
if many:
    print(f"| same, {many[0]['global_threads']} threads (CPU time, all threads) | {med([x['global_s'] for x in many]):.2f} s ({med([x['global_cpu_s'] for x in many]):.2f} s) | < 5 s |")
print(f"| global: coalition rows, of which run through the network (1 thread) | {one[0]['coalition_rows']/1e6:.2f} M, {one[0]['network_rows']/1e6:.2f} M | |")
print(f"| rule-of-thumb fidelity (held-out rows) | {100*one[0]['rule_fidelity']:.1f}% | |")
PY
