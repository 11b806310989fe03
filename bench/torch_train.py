#!/usr/bin/python3
"""PyTorch side of bench/train_bench.sh: trains the same networks on the same data files.

usage: torch_train.py DIR CONFIG TORCH_THREADS REPEATS EPOCHS
Reads DIR/CONFIG.{json,X.f32,y.f32} and, for configs with embedded fields, DIR/CONFIG.slots.i32
(written by `train_bench write-data`), trains with Adam
(lr 1e-3) on shuffled index batches (randperm + index_select), 1 warm-up epoch then EPOCHS
timed ones (capped at MAX_SECONDS, default 12), REPEATS times, and prints one JSON line per
repeat. OPENBLAS_NUM_THREADS must be set by the caller before this starts (it is read when
torch is imported).
"""
import json
import os
import resource
import sys
import time

import numpy as np
import torch
from torch import nn


class EmbeddedMlp(nn.Module):
    """The numeric inputs, then one nn.Embedding row per categorical field, into the MLP:
    what a PyTorch user writes for categorical fields with many values."""

    def __init__(self, cfg, mlp):
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(levels, dim) for levels, dim in cfg["embed"])
        self.mlp = mlp

    def forward(self, x, slots):
        return self.mlp(torch.cat([x] + [t(slots[:, e]) for e, t in enumerate(self.tables)], 1))


def build(cfg):
    layers, width = [], cfg["inputs"] + sum(dim for _, dim in cfg.get("embed", []))
    for h in cfg["hidden"]:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, cfg["outputs"]))
    mlp = nn.Sequential(*layers)
    return EmbeddedMlp(cfg, mlp) if cfg.get("embed") else mlp


def train_once(cfg, X, S, y, epochs, seed, cap):
    """Samples/s over `epochs` epochs after one warm-up epoch, the final epoch's mean loss,
    and whether the run was cut short: the warm-up ends after cap/4 s at most and the timed
    part after cap s (a thread setting that thrashes on a busy machine would otherwise take
    minutes)."""
    torch.manual_seed(seed)
    model = build(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss() if cfg["outputs"] == 1 else nn.CrossEntropyLoss()
    n, B = X.shape[0], cfg["batch"]
    start, t0, timed = time.perf_counter(), None, 0
    for _ in range(1 + epochs):
        perm = torch.randperm(n)
        total, seen = 0.0, 0
        for i in range(0, n, B):
            idx = perm[i:i + B]
            xb, yb = X.index_select(0, idx), y.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            out = model(xb, S.index_select(0, idx)) if S is not None else model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            total, seen = total + loss.item() * idx.numel(), seen + idx.numel()
            now = time.perf_counter()
            if t0 is None and now - start > cap / 4:
                t0 = now
            elif t0 is not None:
                timed += idx.numel()
                if now - t0 > cap:
                    return timed / (now - t0), total / seen, True
        if t0 is None:
            t0 = time.perf_counter()
    return timed / (time.perf_counter() - t0), total / seen, False


def main():
    data_dir, name, threads, repeats, epochs = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
    cap = float(os.environ.get("MAX_SECONDS", "12"))
    torch.set_num_threads(threads)
    base = os.path.join(data_dir, name)
    with open(base + ".json") as f:
        cfg = json.load(f)
    X = torch.from_numpy(np.fromfile(base + ".X.f32", dtype=np.float32).reshape(cfg["rows"], cfg["inputs"]))
    y = torch.from_numpy(np.fromfile(base + ".y.f32", dtype=np.float32))
    y = y.reshape(-1, 1) if cfg["outputs"] == 1 else y.long()
    S = None
    if cfg.get("embed"):
        S = torch.from_numpy(np.fromfile(base + ".slots.i32", dtype=np.int32)
                             .reshape(cfg["rows"], len(cfg["embed"])).astype(np.int64))
    setting = f"torch={threads},openblas={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}"
    for rep in range(repeats):
        sps, loss, cut = train_once(cfg, X, S, y, epochs, rep + 1, cap)
        print(json.dumps({"tool": "torch", "config": name, "setting": setting,
                          "samples_per_s": sps, "final_loss": loss, "cut_short": cut,
                          "macs": cfg["macs"],
                          "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}),
              flush=True)


if __name__ == "__main__":
    main()
