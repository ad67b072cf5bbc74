#!/usr/bin/env python3
"""PyTorch DistributedDataParallel reference (Gloo, CPU) for the harness's data-parallel runs.

One process per rank, started the torchrun way: RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT in
the environment (torchrun --nproc-per-node=2 scripts/pytorch_ddp.py ... sets them). Each rank
trains the seed's GoogLeNet (tests/reference/googlenet.py) with Adam for --steps steps on the
first --train-count images of an MNIST folder (--data), or on the synthetic set of
tests/_helpers.ts (syntheticSplit), the global --batch-size split evenly:

- the batch order is the harness's: torch.randperm(n, generator=torch.Generator().manual_seed(seed))
  drawn once per epoch from one generator (as scripts/pytorch_baseline.py), then split across the
  ranks exactly as torch.utils.data.DistributedSampler splits its permutation (padded from the
  start to a multiple of the world size, rank r takes every world-size-th index from r);
- the model is wrapped in torch.nn.parallel.DistributedDataParallel (gradients averaged);
- --no-dropout replaces the dropout layer by the identity (the equality tests need it).

Rank 0 writes the parameters to --save as a .safetensors file (state_dict names) and prints one
JSON line: {"rank": 0, "loss": mean step loss of rank 0's shards}.
"""
import argparse
import json
import os
import struct
import sys

import torch
import torch.distributed as dist
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
from googlenet import GoogLeNet  # noqa: E402


def synthetic_split(count):
    """tests/_helpers.ts syntheticSplit: class k images are bright in rows 2k..2k+3."""
    images = torch.zeros(count, 28, 28, dtype=torch.uint8)
    labels = torch.arange(count, dtype=torch.int64) % 10
    for i in range(count):
        k = i % 10
        images[i, 2 * k : 2 * k + 4, :] = 200 + (i % 50)
    x = images.to(torch.float32).div_(255.0).sub_(0.5).div_(0.5).unsqueeze(1).contiguous()
    return x, labels


def shard(perm, rank, world):
    """DistributedSampler's split of one permutation (drop_last=False)."""
    indices = perm.tolist()
    total = -(-len(indices) // world) * world
    indices += indices[: total - len(indices)]
    return torch.tensor(indices[rank:total:world], dtype=torch.int64)


def save_safetensors(path, named):
    header, offset, blobs = {}, 0, []
    for name in sorted(named):
        data = named[name].detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(named[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=64, help="the global batch")
    ap.add_argument("--train-count", type=int, default=1000)
    ap.add_argument("--data", default=None,
                    help="an MNIST IDX folder: its first --train-count images (default: synthetic)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0, help="model initialisation")
    ap.add_argument("--order-seed", type=int, default=1, help="the batch order's generator")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60, help="seconds (process-group timeout)")
    ap.add_argument("--no-dropout", action="store_true")
    ap.add_argument("--save", required=True)
    args = ap.parse_args()

    from datetime import timedelta
    torch.set_num_threads(args.threads)
    dist.init_process_group("gloo", timeout=timedelta(seconds=args.timeout))
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world != 0:
        sys.exit(f"--batch-size {args.batch_size}: expected a multiple of the {world} ranks")
    local = args.batch_size // world

    if args.data is None:
        x, y = synthetic_split(args.train_count)
    else:
        from pytorch_baseline import load_split
        x, y = load_split(args.data, "train", torch.device("cpu"))
        x, y = x[: args.train_count].contiguous(), y[: args.train_count].contiguous()
    torch.manual_seed(args.seed)
    model = GoogLeNet()
    if args.no_dropout:
        model.dropout = nn.Identity()
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.order_seed)

    losses, order, i = [], None, 0
    while len(losses) < args.steps:
        if order is None or i >= order.shape[0]:
            order, i = shard(torch.randperm(args.train_count, generator=gen), rank, world), 0
        idx = order[i : i + local]
        i += local
        opt.zero_grad()
        loss = criterion(ddp(x.index_select(0, idx)), y.index_select(0, idx))
        loss.backward()
        opt.step()
        losses.append(loss.item())

    if rank == 0:
        save_safetensors(args.save, dict(model.named_parameters()))
        print(json.dumps({"rank": 0, "loss": sum(losses) / len(losses)}))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
