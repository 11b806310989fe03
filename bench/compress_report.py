#!/usr/bin/python3
"""Turns the JSON lines of bench/compress_bench.sh into markdown tables and target checks.

usage: compress_report.py RESULTS.jsonl
Latency and throughput figures are medians over the bench rounds; accuracy, sizes and
nonzeros come from the prune/quantize reports (test split of the model's own data split).
"""
import collections
import json
import statistics
import sys


def load(path):
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    bench = collections.defaultdict(list)
    ort = collections.defaultdict(list)
    reports = {}
    for r in rows:
        if r["kind"] == "bench":
            bench[r["name"]].append(r)
        elif r["kind"] == "ort":
            ort[r["config"]].append(r)
        elif r["kind"] == "prune":
            reports[r["name"] if "name" in r else f"sparse_{r['sparsity']:g}"] = r
        elif r["kind"] == "quantize":
            reports["int8"] = r
    return bench, ort, reports


def med(rows, *path):
    def get(r):
        for k in path:
            r = r[k]
        return r
    return statistics.median(get(r) for r in rows)


def main():
    bench, ort, reports = load(sys.argv[1])
    any_report = next(iter(reports.values()))
    dense_acc = any_report["before"]["metrics"]["test"]["accuracy"]
    d_plan = med(bench["dense_frozen"], "single_row_plan", "p50_us")
    d_pred = med(bench["dense_frozen"], "single_row_predict", "p50_us")
    d_batch = med(bench["dense_frozen"], "batch_rows_per_s")
    print("| model | nonzero weights | weight bytes | file bytes | test accuracy | single-row Predict p50 (us) "
          "| plan p50 (us) | plan speed-up | batch-1024 rows/s | batch speed-up |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    names = ["dense_frozen"] + [n for n in bench if n != "dense_frozen"]
    for n in names:
        b = bench[n]
        plan, pred, thr = med(b, "single_row_plan", "p50_us"), med(b, "single_row_predict", "p50_us"), med(b, "batch_rows_per_s")
        if n == "dense_frozen":
            acc, nnz, fb, wb = dense_acc, any_report["before"]["nonzero_weights"], any_report["dense_frozen"]["file_bytes"], any_report["dense_frozen"]["weight_bytes"]
        else:
            a = reports[n]["after"]
            acc, nnz, fb, wb = a["metrics"]["test"]["accuracy"], a["nonzero_weights"], a["file_bytes"], a["weight_bytes"]
        print(f"| {n} | {nnz:,} | {wb:,} | {fb:,} | {100 * acc:.2f}% ({100 * (acc - dense_acc):+.2f}) | {pred:.2f} "
              f"| {plan:.2f} | {d_plan / plan:.2f}x | {thr:,.0f} | {thr / d_batch:.2f}x |")
    print()
    if ort:
        o_js = med(ort["medium"], "p50_us")
        o_empty = med(ort["empty"], "p50_us")
        o_native = o_js - o_empty
        o_batch = med(ort["medium"], "batch_rows_per_s")
        print("ONNX Runtime (onnxruntime-node, 1 thread, same-shaped dense network): single-row "
              f"p50 {o_js:.2f} us from JS, an empty model {o_empty:.2f} us, so about {o_native:.2f} us "
              f"native per call; batch-1024 {o_batch:,.0f} rows/s.\n")
        print("| comparison | ming | ONNX Runtime | ratio | target |")
        print("|---|---:|---:|---:|---|")
        print(f"| dense batch-1024 rows/s | {d_batch:,.0f} | {o_batch:,.0f} | {d_batch / o_batch:.2f}x | >= 1x |")
        if "sparse_0.9" in bench:
            s_batch = med(bench["sparse_0.9"], "batch_rows_per_s")
            s_plan = med(bench["sparse_0.9"], "single_row_plan", "p50_us")
            s_pred = med(bench["sparse_0.9"], "single_row_predict", "p50_us")
            print(f"| 90%-sparse batch-1024 rows/s | {s_batch:,.0f} | {o_batch:,.0f} | {s_batch / o_batch:.2f}x | >= 3x |")
            print(f"| 90%-sparse single-row plan p50 (us) | {s_plan:.2f} | {o_native:.2f} | {o_native / s_plan:.2f}x lower | >= 3x |")
            print(f"| 90%-sparse single-row Predict p50 (us, raw cells in) | {s_pred:.2f} | {o_native:.2f} | {o_native / s_pred:.2f}x lower | |")
        print(f"| dense single-row plan p50 (us) | {d_plan:.2f} | {o_native:.2f} | {o_native / d_plan:.2f}x lower | >= 3x |")
        print()
    print("Targets (issue 3):")
    if "sparse_0.9" in reports:
        r = reports["sparse_0.9"]["after"]
        acc = r["metrics"]["test"]["accuracy"]
        s = bench["sparse_0.9"]
        print(f"- 90% sparse: accuracy {100 * (acc - dense_acc):+.2f} points (target: at most 0.5 below); "
              f"single-row plan {d_plan / med(s, 'single_row_plan', 'p50_us'):.2f}x (target 3x); "
              f"batch {med(s, 'batch_rows_per_s') / d_batch:.2f}x (target 2x); file "
              f"{any_report['dense_frozen']['file_bytes'] / r['file_bytes']:.2f}x smaller (target 5x)")
    if "block16_0.9" in reports and "block16_0.9" in bench:
        r = reports["block16_0.9"]["after"]
        s = bench["block16_0.9"]
        print(f"- 90% sparse in blocks of 16 outputs (--block 16): accuracy "
              f"{100 * (r['metrics']['test']['accuracy'] - dense_acc):+.2f} points; single-row plan "
              f"{d_plan / med(s, 'single_row_plan', 'p50_us'):.2f}x (target 3x); batch "
              f"{med(s, 'batch_rows_per_s') / d_batch:.2f}x; file "
              f"{any_report['dense_frozen']['file_bytes'] / r['file_bytes']:.2f}x smaller")
    if "int8" in reports:
        r = reports["int8"]["after"]
        acc = r["metrics"]["test"]["accuracy"]
        s = bench["int8"]
        print(f"- int8: accuracy {100 * (acc - dense_acc):+.2f} points (target: at most 0.5 below); batch "
              f"{med(s, 'batch_rows_per_s') / d_batch:.2f}x (target 2x); file "
              f"{any_report['dense_frozen']['file_bytes'] / r['file_bytes']:.2f}x smaller (target 3.5x); "
              f"same class as the float model on {100 * reports['int8'].get('agreement_test', float('nan')):.2f}% of test rows")


if __name__ == "__main__":
    main()
