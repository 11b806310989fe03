#!/usr/bin/env bash
# The search behind ming's training defaults (docs/defaults.md): ming runs with candidate
# flag sets on every data set of bench/accuracy_bench.py, next to the PyTorch reference.
# usage: bench/accuracy/sweep.sh ROUND [MING_BINARY] [WORK_DIR]   (ROUND: 1 or 2)
# Writes WORK_DIR/roundN.{json,md}. Round 1 is ~26 minutes on 2 cores, round 2 ~13.
set -euo pipefail
cd "$(dirname "$0")/../.."
round=${1:?round 1 or 2}
ming=${2:-build-acc/ming}
work=${3:-/tmp/ming_accuracy_bench}
mkdir -p "$work"
case $round in
  1)  # one change at a time from the current defaults, plus the PyTorch reference
    models=ming,torch
    extra=()
    cands=(
      "h128-64:--hidden 128,64"
      "h512-256-128:--hidden 512,256,128"
      "drop0:--dropout 0"
      "drop0.2:--dropout 0.2"
      "lr3e-3:--lr 3e-3"
      "lr3e-4:--lr 3e-4"
      "wd0:--weight-decay 0"
      "wd0.1:--weight-decay 0.1"
      "bs128:--batch-size 128"
      "bs512:--batch-size 512"
      "pat10:--patience 10"
      "pat40:--patience 40"
      "batchnorm:--norm batch"
      "layernorm:--norm layer"
      "cosine:--schedule cosine --warmup-epochs 3 --epochs 100"
      "gelu:--activation gelu"
    ) ;;
  2)  # combinations of round 1's winners (batch norm, dropout 0.2, GELU, weight decay 0.1,
      # batch 128, lr 3e-3, a third layer), 10 seeds on the small sets; torch_heinit is the
      # PyTorch reference with ming's initialisation (He-uniform, zero bias)
    models=ming,torch,torch_heinit
    extra=(--small-seeds 10)
    cands=(
      "bn+d0.2:--norm batch --dropout 0.2"
      "bn+gelu:--norm batch --activation gelu"
      "bn+d0.2+gelu:--norm batch --dropout 0.2 --activation gelu"
      "gelu+d0.2:--activation gelu --dropout 0.2"
      "bn+d0.2+wd0.1:--norm batch --dropout 0.2 --weight-decay 0.1"
      "bn+d0.2+bs128:--norm batch --dropout 0.2 --batch-size 128"
      "bn+d0.2+lr3e-3:--norm batch --dropout 0.2 --lr 3e-3"
      "bn+d0.2+h512:--norm batch --dropout 0.2 --hidden 512,256,128"
    ) ;;
  *) echo "round must be 1 or 2" >&2; exit 2 ;;
esac
args=("${extra[@]}")
for c in "${cands[@]}"; do args+=(--candidate "$c"); done
/usr/bin/python3 bench/accuracy_bench.py "$ming" --work "$work" --models "$models" \
  "${args[@]}" --json "$work/round$round.json" --md "$work/round$round.md"
