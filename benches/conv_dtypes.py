#!/usr/bin/env python3
"""Where bf16 pays on this CPU: the seed's training step profiled in PyTorch's fp32 and pure bf16
channels-last recipes (baselines/pytorch_recipes.py), its convolutions' forward and backward time
summed by the spatial size of their input. The evidence behind `--precision bf16-hybrid`'s
BF16_MIN_SIDE (src/model/architecture.ts).

  /usr/bin/python3 benches/conv_dtypes.py [--threads N] [--steps S] [--json OUT]

Run it under the harness's malloc settings (GLIBC_TUNABLES, src/bench/baselines/malloc.ts), as the
baselines run.
"""
import argparse
import collections
import json
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "baselines"))
from googlenet import GoogLeNet  # noqa: E402
from pytorch_recipes import forward_loss, prepare, sample_batches  # noqa: E402

RECIPES = ("fp32-cl", "bf16-pure-cl")
OPS = {"aten::mkldnn_convolution": "forward", "aten::convolution_backward": "backward"}


def profile(recipe, steps, xs, ys):
    """ms per step of each (phase, input side) for `recipe`, after 5 warm-up steps."""
    torch.manual_seed(0)
    model = prepare(recipe, GoogLeNet())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    crit = nn.CrossEntropyLoss()

    def step(i):
        opt.zero_grad()
        forward_loss(recipe, model, crit, xs[i % len(xs)], ys[i % len(ys)]).backward()
        opt.step()

    for i in range(5):
        step(i)
    acts = [torch.profiler.ProfilerActivity.CPU]
    with torch.profiler.profile(activities=acts, record_shapes=True) as p:
        for i in range(steps):
            step(i)
    out = collections.defaultdict(float)
    for e in p.key_averages(group_by_input_shape=True):
        if e.key in OPS:
            # forward's first input is the image, backward's second: N x C x H x W either way
            shape = e.input_shapes[0 if OPS[e.key] == "forward" else 1]
            out[(OPS[e.key], shape[2])] += e.self_cpu_time_total / 1e3 / steps
    return out


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2, help="intra-op threads (default 2)")
    ap.add_argument("--steps", type=int, default=10, help="profiled steps (default 10)")
    ap.add_argument("--json", help="also write the rows here")
    return ap.parse_args()


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    xs, ys = sample_batches()
    ms = {r: profile(r, a.steps, xs, ys) for r in RECIPES}
    keys = sorted(set(ms[RECIPES[0]]) | set(ms[RECIPES[1]]), key=lambda k: (k[0], -k[1]))
    print("| phase | input side | fp32 ms/step | bf16 ms/step | bf16/fp32 |")
    print("|---|---:|---:|---:|---:|")
    rows = []
    for phase, side in keys:
        f, b = ms[RECIPES[0]][(phase, side)], ms[RECIPES[1]][(phase, side)]
        rows.append({"phase": phase, "side": side, "fp32Ms": f, "bf16Ms": b})
        print("| %s | %d | %.2f | %.2f | %.2f |" % (phase, side, f, b, b / f))
    if a.json:
        meta = {"torch": torch.__version__, "threads": a.threads, "steps": a.steps,
                "command": " ".join(["python3"] + sys.argv)}
        with open(a.json, "w") as fh:
            json.dump({"meta": meta, "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
