#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, build-fuzz/) and runs each for a while
# on a temporary copy of its committed corpus (fuzz/corpus/<name>) with its dictionary
# (fuzz/dict/<name>.dict). Any finding (crash, sanitizer report, timeout, OOM, leak) is
# copied to fuzz/crashers/<name>/, where the replay ctest picks it up once committed, and
# makes the script exit 1 (the run's whole log is kept in <build>/fuzz-logs/). Two targets
# run at a time when there are 2 or more cores.
#
# Usage: scripts/fuzz.sh [--minimize] [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60; TARGETs default to every fuzz/*_fuzz.cc
#   --minimize          afterwards, merge each run's corpus with the committed one
#                       (-merge=1 into a fresh directory) and replace the committed corpus
#                       with the result: how corpora are refreshed
# Environment: MING_FUZZ_BUILD (build directory, default build-fuzz), MING_FUZZ_JOBS
# (targets at a time), MING_FUZZ_ARGS (extra libFuzzer flags), MING_FUZZ_ASAN_OPTIONS
# (appended to ASAN_OPTIONS). Long runs of the model targets use
# MING_FUZZ_ARGS=-entropic=0 MING_FUZZ_ASAN_OPTIONS=malloc_context_size=5: their coverage
# is saturated, and entropic scheduling's per-feature bookkeeping and 30-frame allocation
# stacks took 40% of their CPU (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."

minimize=0
if [[ ${1:-} == --minimize ]]; then minimize=1; shift; fi
seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/*_fuzz.cc; do t=${f#fuzz/}; targets+=("${t%_fuzz.cc}"); done
fi

scripts/setup.sh clang libclang-rt-14-dev
build=${MING_FUZZ_BUILD:-build-fuzz}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DMING_FUZZ=ON -DMING_TESTS=OFF \
  -DMING_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" \
  "${launcher[@]}" >/dev/null
ninja -C "$build" "${targets[@]/%/_fuzz}"

# The longest input worth trying: model files and checkpoints are a few KiB, structured
# targets read a few bytes per decision, text parsers need a few lines.
max_len() {
  case $1 in
    model_bytes|checkpoint) echo 65536 ;;
    model_struct|roundtrip) echo 8192 ;;
    # One count byte, up to three 2-byte split points, then the 4 KiB the harness sends.
    http) echo 4103 ;;
    *) echo 16384 ;;
  esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ming-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The targets' own temp trees (repository, models, checkpoints) go to memory when it can:
# the repository target is bound by directory operations.
target_tmp=${TMPDIR:-/tmp}
[[ -d /dev/shm && -w /dev/shm ]] && target_tmp=/dev/shm
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=0:detect_stack_use_after_return=1${MING_FUZZ_ASAN_OPTIONS:+:$MING_FUZZ_ASAN_OPTIONS}
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1

run_one() {
  local name=$1 dir=$work/$1
  mkdir -p "$dir/corpus" "$dir/artifacts"
  [[ -d fuzz/corpus/$name ]] && cp -r "fuzz/corpus/$name/." "$dir/corpus/"
  local dict=() before
  [[ -f fuzz/dict/$name.dict ]] && dict=(-dict="fuzz/dict/$name.dict")
  before=$(find "$dir/corpus" -type f | wc -l)
  local rc=0
  # shellcheck disable=SC2086
  TMPDIR=$target_tmp "$build/fuzz/${name}_fuzz" "$dir/corpus" "${dict[@]}" -max_total_time="$seconds" \
    -max_len="$(max_len "$name")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" ${MING_FUZZ_ARGS:-} >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/rc"
  echo "$before" >"$dir/before"
}

jobs_max=${MING_FUZZ_JOBS:-$(( $(nproc) >= 2 ? 2 : 1 ))}
start=$SECONDS
for name in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= jobs_max )); do wait -n || true; done
  run_one "$name" &
done
wait

status=0
for name in "${targets[@]}"; do
  dir=$work/$name
  log=$dir/log
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  after=$(find "$dir/corpus" -type f | wc -l)
  printf 'fuzz %-14s %10s execs %7s exec/s  %-20s corpus %s -> %s (+%s new units)' "$name" \
    "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" "${cov:-cov: ?}" \
    "$(cat "$dir/before")" "$after" "$(stat new_units_added)"
  found=("$dir"/artifacts/*)
  if [[ $(cat "$dir/rc") != 0 || -e ${found[0]} ]]; then
    status=1
    mkdir -p "fuzz/crashers/$name"
    for f in "${found[@]}"; do [[ -e $f ]] && cp "$f" "fuzz/crashers/$name/"; done
    # The whole log stays in the build directory: a finding that does not replay can only
    # be studied from what the target printed when it happened.
    mkdir -p "$build/fuzz-logs"
    kept=$build/fuzz-logs/$name-$(date -u +%Y%m%dT%H%M%SZ).log
    cp "$log" "$kept"
    echo "  FINDING (exit $(cat "$dir/rc")): saved to fuzz/crashers/$name/; log: $kept"
    grep -E -m3 'ERROR: |runtime error|SUMMARY|Test unit written' "$log" | sed 's/^/    /' || true
    # What the target said just before, and the first frames of the stack: enough to tell
    # a crash from a failed check without the log, which goes with the temporary directory.
    grep -E -B12 -A12 -m1 'ERROR: |runtime error' "$log" | sed 's/^/    | /' || true
  else
    echo "  ok"
  fi
  if ((minimize)) && [[ $(cat "$dir/rc") == 0 ]]; then
    mkdir -p "$dir/merged" "fuzz/corpus/$name"
    "$build/fuzz/${name}_fuzz" -merge=1 -max_len="$(max_len "$name")" -timeout=10 \
      -rss_limit_mb=2048 "$dir/merged" "fuzz/corpus/$name" "$dir/corpus" >"$dir/merge.log" 2>&1
    rm -rf "fuzz/corpus/$name" && cp -r "$dir/merged" "fuzz/corpus/$name"
    echo "  minimised corpus: $(find "fuzz/corpus/$name" -type f | wc -l) files, $(du -sh --apparent-size "fuzz/corpus/$name" | cut -f1)"
  fi
done
echo "fuzz: ${#targets[@]} targets x ${seconds}s in $((SECONDS - start))s"
exit $status
