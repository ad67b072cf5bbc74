#!/usr/bin/env python3
"""PyTorch's own CPU recipes for the seed's training step, timed side by side in one process:
the targets of issue 19 (fp32; bf16 autocast + channels-last; pure bf16 + channels-last), as
declared in baselines/pytorch_recipes.py (the paired baselines' `--recipe`s).

  /usr/bin/python3 benches/pytorch_step_recipes.py [--threads N] [--rounds R] [--steps S]
      [--warmup W] [--json OUT]

Each recipe gets its own model (seed 0) and Adam(lr 1e-3); rounds interleave the recipes (S timed
steps each per round, after W warm-up steps, default 5) so that the host's noise falls on all of them alike.
Batches: 64 MNIST-shaped images from the same randperm-free draw for every recipe.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "baselines"))
from googlenet import GoogLeNet  # noqa: E402
from pytorch_recipes import RECIPES, forward_loss, prepare, sample_batches  # noqa: E402


def make(recipe):
    torch.manual_seed(0)
    model = prepare(recipe, GoogLeNet())
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def step_fn(recipe, model, opt, crit):
    def step(x, y):
        opt.zero_grad()
        loss = forward_loss(recipe, model, crit, x, y)
        loss.backward()
        opt.step()
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    xs, ys = sample_batches()
    recipes = list(RECIPES)
    crit = nn.CrossEntropyLoss()
    steps = {}
    for r in recipes:
        model, opt = make(r)
        model.train()
        steps[r] = step_fn(r, model, opt, crit)
        for i in range(a.warmup):
            steps[r](xs[i % 8], ys[i % 8])
    ms = {r: [] for r in recipes}
    for _ in range(a.rounds):
        for r in recipes:
            for i in range(a.steps):
                t0 = time.perf_counter()
                steps[r](xs[i % 8], ys[i % 8])
                ms[r].append((time.perf_counter() - t0) * 1000)
    out = {"torch": torch.__version__, "threads": a.threads, "rounds": a.rounds,
           "stepsPerRound": a.steps, "warmup": a.warmup,
           "load": os.getloadavg(),
           "recipes": {r: {"medianMs": statistics.median(v), "ms": v} for r, v in ms.items()}}
    for r in recipes:
        print(f"{r}: median {statistics.median(ms[r]):.1f} ms ({len(ms[r])} steps)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
