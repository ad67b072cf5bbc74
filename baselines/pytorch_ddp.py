#!/usr/bin/env python3
"""PyTorch DistributedDataParallel reference (Gloo, CPU) for the harness's data-parallel runs.

One process per rank, started the torchrun way: RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT in
the environment (torchrun --nproc-per-node=2 baselines/pytorch_ddp.py ... sets them), or, as the
harness starts them, BENCH_STORE_FILE naming a FileStore in a private folder instead of the port,
and GLOO_SOCKET_IFNAME=lo (nothing listens beyond 127.0.0.1). Each rank
trains the seed's GoogLeNet (baselines/googlenet.py) with Adam for --steps steps on the
first --train-count images of an MNIST folder (--data), or on the synthetic set of
tests/_helpers.ts (syntheticSplit), the global --batch-size split evenly:

- the batch order is the harness's: torch.randperm(n, generator=torch.Generator().manual_seed(seed))
  drawn once per epoch from one generator (as baselines/pytorch_baseline.py), then split across the
  ranks exactly as torch.utils.data.DistributedSampler splits its permutation (padded from the
  start to a multiple of the world size, rank r takes every world-size-th index from r);
- the model is wrapped in torch.nn.parallel.DistributedDataParallel (gradients averaged);
- --no-dropout replaces the dropout layer by the identity (the equality tests need it).

Rank 0 writes the parameters to --save as a .safetensors file (state_dict names) and prints one
JSON line: {"rank": 0, "loss": mean step loss of rank 0's shards}.

With --bench-json PATH (the harness's `--baseline pytorch` beside `--nproc N`), the ranks time
--warmup untimed and --steps timed steps instead, as the harness's ranks do: each step's wall
time; each step's exposed all-reduce wait, read by a comm hook that reduces as DDP's default
(divide by the world size, then all-reduce) and reads the clock at each bucket's launch and
completion (the wait runs from the last launch, when backward's last gradient is ready, to the
last completion); and, between the ranks' steps, rank 0 trains a model of its own alone with
the per-rank batch while the other ranks wait at a barrier (the single-rank reference). Rank 0
writes the JSON: its warm-up and timed steps, every rank's step median and all-reduce share,
and the single rank's timed steps.
"""
import argparse
import json
import os
import struct
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
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


def timed_allreduce_hook(clock, world):
    """DDP's default reduction as a comm hook that reads the clock (see --bench-json)."""
    def hook(_state, bucket):
        clock["launch"] = max(clock["launch"], time.perf_counter())
        buf = bucket.buffer().div_(world)
        fut = dist.all_reduce(buf, async_op=True).get_future()

        def done(f):
            clock["done"] = max(clock["done"], time.perf_counter())
            return f.value()[0]
        return fut.then(done)
    return hook


class Feed:
    """Batches of a rank's shard (or of the whole set, world=1) of per-epoch permutations."""

    def __init__(self, count, seed, rank, world, batch):
        self.count, self.rank, self.world, self.batch = count, rank, world, batch
        self.gen = torch.Generator().manual_seed(seed)
        self.order, self.i = None, 0

    def next(self):
        if self.order is None or self.i >= self.order.shape[0]:
            perm = torch.randperm(self.count, generator=self.gen)
            self.order, self.i = shard(perm, self.rank, self.world), 0
        idx = self.order[self.i : self.i + self.batch]
        self.i += self.batch
        return idx


def train_step(model, opt, criterion, x, y, idx):
    """One step; its wall time in ms and its loss."""
    t0 = time.perf_counter()
    opt.zero_grad()
    loss = criterion(model(x.index_select(0, idx)), y.index_select(0, idx))
    loss.backward()
    opt.step()
    return (time.perf_counter() - t0) * 1000, loss.item()


def gather(value, rank, world):
    """Every rank's value, rank 0 first."""
    t = torch.zeros(world, dtype=torch.float64)
    t[rank] = value
    dist.all_reduce(t)
    return t.tolist()


def bench(args, data, rank, world, local):
    """The --bench-json window (see the module's docstring)."""
    x, y = data
    torch.manual_seed(args.seed)
    ddp = nn.parallel.DistributedDataParallel(GoogLeNet())
    clock = {"launch": 0.0, "done": 0.0}
    ddp.register_comm_hook(None, timed_allreduce_hook(clock, world))
    opt = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()
    feed = Feed(x.shape[0], args.order_seed, rank, world, local)
    solo = None
    if rank == 0:
        torch.manual_seed(args.seed)
        alone = GoogLeNet()
        solo = (alone, torch.optim.Adam(alone.parameters(), lr=args.lr),
                Feed(x.shape[0], args.order_seed, 0, 1, local), [])
    warmup_ms, step_ms, losses, waits = [], [], [], []
    for i in range(args.warmup + args.steps):
        clock["launch"] = clock["done"] = 0.0
        ms, loss = train_step(ddp, opt, criterion, x, y, feed.next())
        losses.append(loss)
        timed = i >= args.warmup
        (step_ms if timed else warmup_ms).append(ms)
        if timed:
            waits.append(max(0.0, clock["done"] - clock["launch"]) * 1000)
        if solo is not None:
            alone_ms, _ = train_step(solo[0], solo[1], criterion, x, y, solo[2].next())
            if timed:
                solo[3].append(alone_ms)
        dist.barrier()
    median = sorted(step_ms)[len(step_ms) // 2] if step_ms else float("nan")
    share = sum(waits) / sum(step_ms) if step_ms else float("nan")
    medians, shares = gather(median, rank, world), gather(share, rank, world)
    if rank == 0:
        with open(args.bench_json, "w") as f:
            json.dump({
                "torchVersion": torch.__version__, "threads": args.threads,
                "warmupMs": warmup_ms, "stepMs": step_ms, "stepLosses": [v if v == v else None for v in losses],
                "perRankStepMedianMs": [m if m == m else None for m in medians],
                "perRankAllreduceShare": [v if v == v else None for v in shares],
                "singleRank": {"batchSize": local, "timedMs": solo[3]},
            }, f)


def parse_args():
    """The command line, checked (argparse exits 2 on a bad one)."""
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
    ap.add_argument("--save", help="rank 0 writes the parameters here (required without --bench-json)")
    ap.add_argument("--bench-json", default=None, help="time a window instead (see above)")
    ap.add_argument("--warmup", type=int, default=5, help="--bench-json: untimed steps first")
    args = ap.parse_args()
    if args.save is None and args.bench_json is None:
        ap.error("expected --save or --bench-json, found neither")
    return args


def join_group(seconds):
    """Joins the ranks' process group: through the harness's FileStore when it names one, else
    torchrun's environment (MASTER_ADDR/MASTER_PORT)."""
    from datetime import timedelta
    # The classic TCPStore server, as the harness's ranks use (native/dist.cpp): from 2.4 c10d
    # defaults to libuv's, which builds without libuv (Debian's 2.14) refuse. USE_LIBUV=1 wins.
    os.environ.setdefault("USE_LIBUV", "0")
    timeout = timedelta(seconds=seconds)
    store_file = os.environ.get("BENCH_STORE_FILE")
    if store_file:
        # Ranks on one host (the harness's launcher): a FileStore in a private folder, Gloo on
        # the loopback interface (GLOO_SOCKET_IFNAME=lo): nothing listens beyond 127.0.0.1.
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        dist.init_process_group("gloo", init_method=f"file://{store_file}", rank=rank,
                                world_size=world, timeout=timeout)
    else:
        dist.init_process_group("gloo", timeout=timeout)


def training_split(args):
    """(images, labels): the synthetic set, or the first --train-count images of --data."""
    if args.data is None:
        return synthetic_split(args.train_count)
    from pytorch_baseline import load_split
    x, y = load_split(args.data, "train", torch.device("cpu"))
    return x[: args.train_count].contiguous(), y[: args.train_count].contiguous()


def train(args, data, rank, world, local):
    """--save: --steps DDP steps; rank 0 writes the parameters and prints the mean loss."""
    torch.manual_seed(args.seed)
    model = GoogLeNet()
    if args.no_dropout:
        model.dropout = nn.Identity()
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()
    feed = Feed(args.train_count, args.order_seed, rank, world, local)
    x, y = data
    losses = [train_step(ddp, opt, criterion, x, y, feed.next())[1] for _ in range(args.steps)]
    if rank == 0:
        save_safetensors(args.save, dict(model.named_parameters()))
        print(json.dumps({"rank": 0, "loss": sum(losses) / len(losses)}))


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    join_group(args.timeout)
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world != 0:
        sys.exit(f"--batch-size {args.batch_size}: expected a multiple of the {world} ranks")
    local = args.batch_size // world
    data = training_split(args)
    if args.bench_json is not None:
        bench(args, data, rank, world, local)
    else:
        train(args, data, rank, world, local)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
