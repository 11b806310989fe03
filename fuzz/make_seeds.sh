#!/usr/bin/env bash
# Regenerates the seed corpora of the core fuzz targets (fuzz/corpus/<name>/) from small
# hand-written CSVs and from real files made by the ming CLI on tiny data: trained,
# frozen, pruned (sparse), quantised (int8) and calibrated models, and training
# checkpoints made with the options the checkpoint target resumes with. Seeds of the
# structured targets (model_struct, roundtrip) are byte patterns: they read the input
# byte by byte (fuzz/fuzz_values.h), so zeros give the simplest valid structure.
# Usage: fuzz/make_seeds.sh BUILD_DIR   (a build with the ming CLI, e.g. build)
# Files are written with SOURCE_DATE_EPOCH set, so reruns give the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
ming=$(realpath "${1:?usage: fuzz/make_seeds.sh BUILD_DIR}")/ming
export SOURCE_DATE_EPOCH=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
c=fuzz/corpus
rm -rf "$c/csv" "$c/model_bytes" "$c/checkpoint" "$c/model_struct" "$c/roundtrip"
mkdir -p "$c/csv" "$c/model_bytes" "$c/checkpoint" "$c/model_struct" "$c/roundtrip"

# --- CSV: the first byte picks the delimiter (byte & 3: 0 ',', 1 ';', 2 tab, 3 '|').
csv() { printf '%s' "$2" >"$c/csv/$1"; }
csv basic $',a,b,y\n1,x,yes\n2,z,no\n3,x,yes\n'
csv quoted $',"name ""q""",note,y\n"a,b","line1\nline2",1\n"",x,0\n'
csv crlf $',a,b,y\r\n1.5,true,a\r\n-2e3,false,b\r\n'
csv cr_only $',a,y\r1,0\r2,1\r'
csv bom $',\xef\xbb\xbfa,y\n1,0\n2,1\n'
csv missing $',a,b,c,y\nNA,,?,1\n1,x,N/A,0\nnan,y,null,1\n4,x,None,0\n'
csv numbers $',a,y\ninf,1\n-inf,0\n1e309,1\n-0,0\n0x1p3,1\n00012,0\n'
csv bools $',t,u,y\ntrue,yes,a\nfalse,no,b\nTRUE,Y,c\nFALSE,N,a\n'
csv semicolon $'\x01a;b;y\n1,5;x;1\n2,5;y;0\n'
csv tab $'\x02a\tb\ty\n1\tx\t1\n2\ty\t0\n'
csv pipe $'\x03a|b|y\n1|x|1\n2|y|0\n'
csv ragged $',a,b,y\n1,2\n1,2,3,4\n'
csv unterminated $',a,y\n"1,0\n'
csv dup_header $',a,a,y\n1,2,3\n'
csv latin1 $',caf\xe9,y\n\xe9t\xe9,1\nhiver,0\n'
csv utf8 $',café,y\nété,oui\nhiver,non\n'
csv regression $',a,b,y\n1,x,10.5\n2,y,3.25\n3,x,-1\n4,z,7\n'
csv multiclass $',a,y\n1,r\n2,g\n3,b\n4,r\n5,g\n'
{ printf ','; head -n 30 ming-demo/invitations.csv; } >"$c/csv/invitations_head"

# --- Models from the CLI on tiny data.
printf 'a,b,c,y\n' >"$tmp/bin.csv"
for i in $(seq 0 39); do
  printf '%s,%s,%s,%s\n' "$((i % 7))" "$(( (i * 3) % 5 )).5" "$([[ $((i % 3)) == 0 ]] && echo red || echo blue)" \
    "$([[ $(( (i * 7) % 4 )) -lt 2 ]] && echo yes || echo no)" >>"$tmp/bin.csv"
done
sed 's/,yes$/,k1/; s/,no$/,k2/' "$tmp/bin.csv" | awk -F, 'NR>1 && NR%3==0 {$4="k3"} {print}' OFS=, >"$tmp/multi.csv"
awk -F, 'NR==1 {print; next} {$4=NR*1.5; print}' OFS=, "$tmp/bin.csv" >"$tmp/reg.csv"
train() {  # out data [flags...]
  local out=$1 data=$2
  shift 2
  "$ming" train "$data" --label y --epochs 2 --batch-size 8 --threads 1 -q -o "$out" "$@"
}
train "$tmp/bin.ming" "$tmp/bin.csv" --hidden 4
train "$tmp/ln.ming" "$tmp/bin.csv" --norm layer --activation gelu --hidden 3,2
train "$tmp/multi.ming" "$tmp/multi.csv" --norm none --activation tanh --hidden 4
train "$tmp/reg.ming" "$tmp/reg.csv" --hidden 0 --loss huber
train "$tmp/wide.ming" "$tmp/bin.csv" --hidden 32,16  # wide enough to be stored sparse
"$ming" freeze "$tmp/bin.ming" -o "$tmp/frozen.ming" >/dev/null
"$ming" freeze "$tmp/ln.ming" -o "$tmp/frozen_ln.ming" >/dev/null
"$ming" prune "$tmp/wide.ming" --data "$tmp/bin.csv" --sparsity 0.8 --fine-tune-epochs 1 \
  --bench-seconds 0 --threads 1 -o "$tmp/sparse.ming" >/dev/null
"$ming" quantize "$tmp/multi.ming" --data "$tmp/multi.csv" --bench-seconds 0 --threads 1 \
  -o "$tmp/int8.ming" >/dev/null
"$ming" calibrate "$tmp/multi.ming" "$tmp/multi.csv" --method temperature --threads 1 -o "$tmp/calibrated.ming" >/dev/null
for m in bin ln multi reg frozen frozen_ln sparse int8 calibrated; do
  cp "$tmp/$m.ming" "$c/model_bytes/$m"
done
cp tests/format/golden/v1_model.ming "$c/model_bytes/golden_v1"

# --- Checkpoints with the checkpoint target's options (fuzz/checkpoint_fuzz.cc Options()):
# 3 numeric inputs, hidden 4, batch norm, adamw, cosine, batch 4, patience 2, seed 7, and
# 8 training rows (2 steps an epoch). The first byte 0x00 selects raw bytes.
printf 'a,b,c,y\n1,2,3,yes\n0,1,0,no\n2,2,1,yes\n1,0,4,no\n3,1,1,yes\n0,0,2,no\n4,2,0,yes\n1,3,3,no\n' >"$tmp/ck3.csv"
for e in 1 2 3; do
  rm -rf "$tmp/ck"
  "$ming" train "$tmp/ck3.csv" --label y --hidden 4 --dropout 0 --norm batch --optimizer adamw \
    --schedule cosine --batch-size 4 --patience 2 --seed 7 --epochs "$e" --val-fraction 0 \
    --test-fraction 0 --threads 1 -q --checkpoint "$tmp/ck" -o "$tmp/ck.ming"
  { printf '\x00'; cat "$tmp/ck/checkpoint.ming"; } >"$c/checkpoint/real_epoch$e"
done
{ printf '\x00'; cat "$tmp/bin.ming"; } >"$c/checkpoint/model_not_checkpoint"
# Structured: 0x80, then zeros (epoch 0, zero weights) or a few patterns.
head -c 400 /dev/zero | { printf '\x80'; cat; } >"$c/checkpoint/built_zero"
{ printf '\x80\x00\x02\x02'; head -c 600 /dev/zero | tr '\0' '\1'; } >"$c/checkpoint/built_epoch2"

# --- Structured model targets.
for t in model_struct roundtrip; do
  head -c 64 /dev/zero >"$c/$t/zeros"
  head -c 512 /dev/zero | tr '\0' '\1' >"$c/$t/ones"
  printf '\x03\x02\x01\x00\x01\x02\x03\x04\x05\x06\x07\x80\x81\x90\xa0\x10\x20\x30\x40\x50%.0s' $(seq 20) >"$c/$t/mixed"
  printf '\x01\x01\x02\x01\x03\x01\x00\x01\x01\x01\x02\x02\x02%.0s' $(seq 40) >"$c/$t/frozen_like"
done
du -sh fuzz/corpus/*
