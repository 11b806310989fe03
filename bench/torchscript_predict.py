#!/usr/bin/python3
"""PyTorch side of bench/predict_bench.sh, timed from Python (call overhead included).

usage: torchscript_predict.py CONFIG DIR [CALLS]
Reads DIR/CONFIG.json (written by predict_bench), builds the same network with random
weights, and on one thread times single-row calls (perf_counter_ns around each) and batches
of 1024 rows for eager PyTorch and for torch.jit.trace + torch.jit.freeze. Saves the frozen
module to DIR/CONFIG.pt (for the C++ driver) and, when export works, DIR/CONFIG.onnx (for
ONNX Runtime). Prints one JSON line per measurement.
"""
import contextlib
import json
import os
import resource
import sys
import time

import torch
from torch import nn

ROWS = 1024


def build(cfg):
    layers, width = [], cfg["inputs"]
    for h in cfg["hidden"]:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, cfg["outputs"]))
    return nn.Sequential(*layers).eval()


def measure(fn, rows, X, calls):
    for i in range(calls // 10):  # warm-up (also lets the JIT profile and specialise)
        fn(rows[i % ROWS])
    ns = []
    for i in range(calls):
        t0 = time.perf_counter_ns()
        fn(rows[i % ROWS])
        ns.append(time.perf_counter_ns() - t0)
    ns.sort()
    t0 = time.perf_counter_ns()
    for i in range(calls):
        fn(rows[i % ROWS])
    mean_us = (time.perf_counter_ns() - t0) / calls / 1e3
    secs = []
    for _ in range(3):
        fn(X)
    end = time.perf_counter() + 0.5
    while len(secs) < 5 or time.perf_counter() < end:
        t0 = time.perf_counter()
        fn(X)
        secs.append(time.perf_counter() - t0)
    return {"p50_us": ns[len(ns) // 2] / 1e3, "p99_us": ns[len(ns) * 99 // 100] / 1e3,
            "mean_us": mean_us, "batch_rows_per_s": ROWS / min(secs)}


def emit(name, setting, result):
    result.update(tool="torch", config=name, setting=setting,
                  maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    print(json.dumps(result), flush=True)


def main():
    name, out_dir = sys.argv[1], sys.argv[2]
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 200000
    torch.set_num_threads(1)
    torch.manual_seed(0)
    with open(os.path.join(out_dir, name + ".json")) as f:
        cfg = json.load(f)
    model = build(cfg)
    X = torch.randn(ROWS, cfg["inputs"])
    rows = [X[i:i + 1].clone() for i in range(ROWS)]
    with torch.inference_mode():
        frozen = torch.jit.freeze(torch.jit.trace(model, rows[0]))
    frozen.save(os.path.join(out_dir, name + ".pt"))
    try:  # newer torch versions print progress to stdout: keep stdout for the JSON lines
        with contextlib.redirect_stdout(sys.stderr):
            torch.onnx.export(model, rows[0], os.path.join(out_dir, name + ".onnx"),
                              input_names=["x"], output_names=["y"],
                              dynamic_axes={"x": {0: "batch"}})
    except Exception as e:  # noqa: BLE001 - ONNX is optional; say why it is missing
        print(f"torchscript_predict: ONNX export failed: {e}", file=sys.stderr)
    with torch.inference_mode():
        emit(name, "eager nn.Sequential (from Python)", measure(model, rows, X, calls))
        emit(name, "TorchScript trace+freeze (from Python)", measure(frozen, rows, X, calls))


if __name__ == "__main__":
    main()
