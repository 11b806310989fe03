#!/usr/bin/python3
"""Exports a same-shaped PyTorch network (random weights, ReLU) to ONNX for the ONNX Runtime side
of bench/compress_bench.sh; --identity exports a network that returns its input (to measure the
per-call cost of the runtime and its language binding alone).

usage: export_onnx.py [--identity] ARCH.json OUT.onnx   (ARCH: {"inputs", "hidden", "outputs"})
"""
import contextlib
import json
import sys

import torch
from torch import nn

from torchscript_predict import build  # the same ReLU network the other peers run


def main():
    args = sys.argv[1:]
    identity = args[0] == "--identity"
    arch_path, out = args[-2], args[-1]
    with open(arch_path) as f:
        cfg = json.load(f)
    torch.manual_seed(0)
    model = nn.Identity() if identity else build(cfg)
    x = torch.randn(1, cfg["inputs"])
    with contextlib.redirect_stdout(sys.stderr):
        torch.onnx.export(model, x, out, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}})


if __name__ == "__main__":
    main()
