#!/usr/bin/env python3
"""Make inputs for parity.py: seeded initial weights and a batch of MNIST-like images.

  python3 tests/reference/make_parity_inputs.py --weights W.safetensors \
      --batch B.safetensors [--n 4] [--adam-steps 2] [--seed 0] [--data DIR]

W: PyTorch's default init of GoogLeNet after torch.manual_seed(seed), every
   parameter as F32 under its state_dict name.
B: images F32 [N,1,28,28], labels I64 [N], adam_images F32 [S,N,1,28,28],
   adam_labels I64 [S,N]. With --data (MNIST IDX folder) the first
   N*(S+1) training images are used, normalised like the seed
   ((x/255 - 0.5)/0.5); otherwise seeded random values in [-1, 1] and random
   labels.
"""

import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "baselines"))  # googlenet.py
from googlenet import GoogLeNet  # noqa: E402
import safetensors_io  # noqa: E402


def _mnist_images(data_dir, count):
    sys.path.insert(0, os.path.join(HERE, "..", "..", "baselines"))
    from pytorch_baseline import load_idx  # noqa: E402

    x = load_idx(data_dir, "train-images-idx3-ubyte")[:count]
    y = load_idx(data_dir, "train-labels-idx1-ubyte")[:count]
    x = x.float().div(255.0).sub(0.5).div(0.5).unsqueeze(1).contiguous()
    return x, y.to(torch.int64)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--batch", required=True)
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--adam-steps", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=None)
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    model = GoogLeNet()
    safetensors_io.save(
        {k: v.detach().clone() for k, v in model.state_dict().items()},
        args.weights,
        metadata={"seed": str(args.seed), "torch_version": torch.__version__},
    )

    n, s = args.n, args.adam_steps
    total = n * (s + 1)
    if args.data:
        x, y = _mnist_images(args.data, total)
    else:
        g = torch.Generator().manual_seed(args.seed + 1)
        x = torch.rand(total, 1, 28, 28, generator=g) * 2 - 1
        y = torch.randint(0, 10, (total,), generator=g, dtype=torch.int64)
    batch = {"images": x[:n].contiguous(), "labels": y[:n].contiguous()}
    if s > 0:
        batch["adam_images"] = x[n:].reshape(s, n, 1, 28, 28).contiguous()
        batch["adam_labels"] = y[n:].reshape(s, n).contiguous()
    safetensors_io.save(batch, args.batch)
    print("wrote %s and %s (n=%d, adam steps=%d)" % (args.weights, args.batch, n, s), file=sys.stderr)


if __name__ == "__main__":
    main()
