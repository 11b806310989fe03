#!/usr/bin/python3
"""Turns the JSON lines of bench/train_bench.sh or bench/predict_bench.sh into markdown tables.

usage: report.py train|predict RESULTS.jsonl
Every figure is the median over the repeats of one (tool, config, setting).
"""
import collections
import json
import statistics
import sys

TRAIN_TARGETS = {"small": 4.0, "medium": 1.8, "wide": 1.3}     # ming 2 threads / best torch
PREDICT_TARGETS_US = {"small": 1.0, "medium": 2.0}              # ming Predict p50


def load(path):
    groups = collections.defaultdict(list)
    for line in open(path):
        if line.startswith("{"):  # skip anything else a peer printed
            r = json.loads(line)
            groups[(r["tool"], r["config"], r["setting"])].append(r)
    return groups


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def configs_of(groups):
    return list(dict.fromkeys(k[1] for k in groups))


def train_report(groups):
    print("| config | ming 1 thr (samples/s) | ming 2 thr (samples/s) | torch best (samples/s) "
          "| torch best setting | ming 2 thr / torch | target | met | best ming / torch "
          "| ming 2 thr GFLOP/s | torch GFLOP/s |")
    print("|---|---:|---:|---:|---|---:|---:|---|---:|---:|---:|")
    for cfg in configs_of(groups):
        m1 = med(groups[("ming", cfg, "threads=1")], "samples_per_s")
        m2 = med(groups[("ming", cfg, "threads=2")], "samples_per_s")
        torch = {k[2]: med(v, "samples_per_s") for k, v in groups.items() if k[:2] == ("torch", cfg)}
        best = max(torch, key=torch.get)
        ratio, target = m2 / torch[best], TRAIN_TARGETS.get(cfg)
        gflops = 6 * groups[("ming", cfg, "threads=2")][0]["macs"] / 1e9
        target_cells = (f"{target}x | {'yes' if ratio >= target else 'NO'}" if target else "— | —")
        print(f"| {cfg} | {m1:,.0f} | {m2:,.0f} | {torch[best]:,.0f} | {best} | {ratio:.2f}x "
              f"| {target_cells} | {max(m1, m2) / torch[best]:.2f}x "
              f"| {m2 * gflops:.1f} | {torch[best] * gflops:.1f} |")
    print("\nAll settings (median samples/s, median final-epoch training loss, peak RSS; cut short:"
          " runs stopped by the MAX_SECONDS cap):\n")
    print("| config | tool | setting | samples/s | repeats | cut short | final loss | max RSS (MiB) |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for (tool, cfg, setting), rows in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
        cut = sum(bool(r.get("cut_short")) for r in rows)
        print(f"| {cfg} | {tool} | {setting} | {med(rows, 'samples_per_s'):,.0f} | {len(rows)} | {cut} "
              f"| {med(rows, 'final_loss'):.4f} | {max(r['maxrss_kb'] for r in rows) / 1024:.0f} |")


def predict_report(groups):
    print("| config | tool | what is timed | p50 (us) | p99 (us) | mean (us) | batch-1024 rows/s | max RSS (MiB) |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for cfg in configs_of(groups):
        for (tool, c, setting), rows in groups.items():
            if c != cfg:
                continue
            def f(key, fmt):
                vals = [r[key] for r in rows if r.get(key) is not None]
                return format(statistics.median(vals), fmt) if vals else "-"
            print(f"| {cfg} | {tool} | {setting} | {f('p50_us', '.3f')} | {f('p99_us', '.3f')} "
                  f"| {f('mean_us', '.3f')} | {f('batch_rows_per_s', ',.0f')} "
                  f"| {max(r['maxrss_kb'] for r in rows) / 1024:.0f} |")
    timers = [r["timer_overhead_ns"] for rows in groups.values() for r in rows if "timer_overhead_ns" in r]
    if timers:
        print(f"\nming's p50/p99 include {statistics.median(timers):.0f} ns of timer overhead "
              "(median of two back-to-back steady_clock reads).")
    print()
    for cfg, target in PREDICT_TARGETS_US.items():
        rows = groups.get(("ming", cfg, "Session::Predict (raw strings)"))
        if rows:
            p50 = med(rows, "p50_us")
            print(f"- target ming Session::Predict p50 < {target} us on {cfg}: measured {p50:.3f} us: "
                  f"{'met' if p50 < target else 'MISSED by ' + format(p50 - target, '.3f') + ' us'}")


if __name__ == "__main__":
    {"train": train_report, "predict": predict_report}[sys.argv[1]](load(sys.argv[2]))
