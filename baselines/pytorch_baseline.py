#!/usr/bin/env python3
"""PyTorch baseline for the GoogLeNet/MNIST benchmark (the seed's training loop).

  python3 baselines/pytorch_baseline.py --data DIR --device cpu|cuda --threads N \
      --batch-size 64 --lr 1e-3 --seed 0 [--steps N] [--warmup N] [--epochs N] \
      [--target-accuracy 0.97] --json OUT

DIR holds train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (plain or .gz).

Data: ToTensor + Normalize((0.5,), (0.5,)) done by hand ((x/255 - 0.5)/0.5);
the whole set lives on the device as one tensor; each epoch is shuffled with
torch.randperm from a CPU torch.Generator seeded with --seed (one generator,
advanced once per epoch); batches are slices of that permutation, the last
partial batch kept (60000/64 -> 937 full + one of 32).

Model: baselines/googlenet.py, built after torch.manual_seed(seed).
Step (--recipe fp32): optimizer.zero_grad(); out = model(x); loss = criterion(out, y);
loss.backward(); optimizer.step()  (CrossEntropyLoss, Adam(lr), train mode so
dropout is active).

Mode A (--steps N): --warmup W (default 5) steps then N timed steps, from
  epoch 0's permutation, continuing into the next epochs' permutations if
  needed. A step's time covers the batch gather (index_select on the device)
  and the training step; on cuda torch.cuda.synchronize() precedes each clock
  read.
Mode B (--epochs N): whole epochs; per epoch the mean of loss.item() over
  batches (as the seed), the epoch's seconds (shuffle + gathering included),
  every step's time (the step statistics when no --steps window ran; the
  first --warmup steps reported apart),
  then test accuracy (eval mode, no_grad, batch 1000) and its seconds.
  Time-to-target: clock starts before the first batch, includes eval time,
  stops at the first epoch-end eval with accuracy >= --target-accuracy.
Both: Mode A first, then model, optimizer and shuffle generator are re-created
  from the same seed and Mode B runs. Neither: --epochs 10 (the seed).

stderr: the seed's "Epoch [i/N], Loss: x.xxxx" lines and, at the end,
"Test accuracy: 97.12%". Accuracies in the JSON are fractions (0.9712).

--max-seconds S: a deadline, as the Deno harness's: stop at a step boundary once S seconds have
  passed since the start, skip an epoch the last one says will not fit; the JSON then has
  "complete": false and the reason in "stopReason".

--recipe NAME: PyTorch's recipe for the step, declared in baselines/pytorch_recipes.py: fp32 (the
  default, the seed's: unchanged), fp32-cl, bf16-autocast-cl, bf16-pure-cl (plain bf16 parameters),
  bf16-hybrid-cl (bf16 parameters in the stages at 4x4 pixels or more, fp32 after).
  Evaluation runs under the same recipe.

--serve: the worker protocol v1 (declared in src/bench/baselines/worker_protocol.ts): prints a ready line, then
  answers {"op":"steps","n":K} with the next K steps' times and losses and {"op":"quit"} with
  {"bye":true}, one JSON line each; no --json.

Exit codes: 0 ok, 2 bad arguments / data / device, 3 torch not installed.
"""

import argparse
import gzip
import json
import math
import os
import platform
import resource
import struct
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError:
    print(f"torch is not importable from {sys.executable}", file=sys.stderr)
    sys.exit(3)

HERE = os.path.dirname(os.path.abspath(__file__))
from googlenet import GoogLeNet, check_param_count  # noqa: E402
from pytorch_recipes import RECIPES, forward_loss, logits, prepare  # noqa: E402


# ---------------------------------------------------------------- data ----

def _read_maybe_gz(data_dir, name):
    for fname, opener in ((name, open), (name + ".gz", gzip.open)):
        path = os.path.join(data_dir, fname)
        if os.path.exists(path):
            with opener(path, "rb") as f:
                return f.read()
    raise FileNotFoundError("%s(.gz) not found in %s" % (name, data_dir))


def load_idx(data_dir, name):
    """Read an IDX file of unsigned bytes -> torch.uint8 tensor of its shape."""
    raw = _read_maybe_gz(data_dir, name)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError("%s: not an IDX file" % name)
    if raw[2] != 0x08:
        raise ValueError("%s: IDX element type 0x%02x, only 0x08 (ubyte) supported" % (name, raw[2]))
    ndim = raw[3]
    dims = struct.unpack(">%dI" % ndim, raw[4 : 4 + 4 * ndim])
    off = 4 + 4 * ndim
    count = math.prod(dims)
    if len(raw) - off < count:
        raise ValueError("%s: truncated (%d bytes for %d elements)" % (name, len(raw) - off, count))
    return torch.frombuffer(bytearray(raw[off : off + count]), dtype=torch.uint8).reshape(dims)


def load_split(data_dir, prefix, device):
    x = load_idx(data_dir, "%s-images-idx3-ubyte" % prefix)
    y = load_idx(data_dir, "%s-labels-idx1-ubyte" % prefix)
    if x.shape[0] != y.shape[0]:
        raise ValueError("%s: %d images but %d labels" % (prefix, x.shape[0], y.shape[0]))
    # ToTensor: uint8 HxW -> float [1,H,W] in [0,1]; Normalize((0.5,),(0.5,))
    x = x.to(torch.float32).div_(255.0).sub_(0.5).div_(0.5).unsqueeze(1).contiguous()
    y = y.to(torch.int64)
    return x.to(device), y.to(device)


# ---------------------------------------------------------------- utils ---

def device_name(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def peak_memory_bytes(device):
    """This process's own peak: the CUDA caching allocator's on a GPU, VmHWM on the CPU (None
    without /proc). Not ru_maxrss: Linux carries the parent's peak across fork+exec, so it
    reported the peak of the Deno process that started this script."""
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class Trainer:
    """Model + optimizer + shuffle generator, all derived from one seed."""

    def __init__(self, args, device, train_x, train_y):
        self.device = device
        self.sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
        self.train_x, self.train_y = train_x, train_y
        self.bs = args.batch_size
        torch.manual_seed(args.seed)  # also seeds cuda (dropout masks)
        self.recipe = args.recipe
        self.model = GoogLeNet().to(device)
        check_param_count(self.model)
        self.model = prepare(self.recipe, self.model)
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=args.lr)
        self.gen = torch.Generator().manual_seed(args.seed)

    def permutation(self):
        return torch.randperm(self.train_x.shape[0], generator=self.gen).to(self.device)

    def batches(self, perm):
        return perm.split(self.bs)

    def timed_step(self, idx):
        """One step between device synchronisations: (milliseconds, loss as a float)."""
        self.sync()
        t0 = time.perf_counter()
        loss = self.step(idx)
        self.sync()
        return (time.perf_counter() - t0) * 1000.0, loss.item()

    def step(self, idx):
        x = self.train_x.index_select(0, idx)
        y = self.train_y.index_select(0, idx)
        self.optimizer.zero_grad()
        loss = forward_loss(self.recipe, self.model, self.criterion, x, y)
        loss.backward()
        self.optimizer.step()
        return loss

    def evaluate(self, test_x, test_y, batch=1000):
        self.model.eval()
        correct = 0
        with torch.no_grad():
            for start in range(0, test_x.shape[0], batch):
                out = logits(self.recipe, self.model, test_x[start : start + batch])
                correct += int((out.argmax(1) == test_y[start : start + batch]).sum().item())
        self.model.train()
        return correct / test_x.shape[0]


class Deadline:
    """--max-seconds: stops at a step boundary once S seconds have passed since the start, and
    skips an epoch that the last one says will not fit (as the Deno harness's Stopper does)."""

    def __init__(self, max_seconds):
        self.max_seconds = max_seconds
        self.start = time.perf_counter()
        self.reason = None

    def passed(self, where):
        if self.reason is None and self.max_seconds is not None:
            if time.perf_counter() - self.start >= self.max_seconds:
                self.reason = "deadline: --max-seconds %g passed at %s" % (self.max_seconds, where)
        return self.reason is not None

    def epoch_wont_fit(self, epoch, last_seconds):
        if self.max_seconds is None or last_seconds is None:
            return False
        left = self.max_seconds - (time.perf_counter() - self.start)
        if last_seconds <= left:
            return False
        self.reason = "deadline: epoch %d (~%.0f s) would not fit in the %.0f s left" % (epoch, last_seconds, left)
        return True


def minor_faults():
    """This process's minor page faults so far (getrusage's ru_minflt)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def run_steps(trainer, warmup, steps, deadline):
    """Mode A: warmup + timed steps; returns (warmupMs, stepMs, stepLosses, minor page faults
    per timed step)."""
    trainer.model.train()
    warm_ms, step_ms, losses = [], [], []
    batches = endless_batches(trainer)
    faults = minor_faults() if warmup == 0 else None
    for done in range(warmup + steps):
        if deadline.passed("step %d of the window" % done):
            break
        ms, loss = trainer.timed_step(next(batches))
        (warm_ms if done < warmup else step_ms).append(ms)
        losses.append(loss)
        if done + 1 == warmup:
            faults = minor_faults()
    per_step = (minor_faults() - faults) / len(step_ms) if step_ms else None
    return warm_ms, step_ms, losses, per_step


def run_epochs(trainer, epochs, test_x, test_y, target, deadline):
    """Mode B: returns (epoch records, timeToTargetSeconds or None, every step's ms); an epoch cut
    by the deadline is not recorded."""
    trainer.model.train()
    records = []
    step_ms = []
    ttt = None
    trainer.sync()
    t_start = time.perf_counter()
    for epoch in range(epochs):
        if deadline.epoch_wont_fit(epoch + 1, records[-1]["seconds"] if records else None):
            break
        t0 = time.perf_counter()
        running = 0.0
        nb = 0
        losses = []
        for idx in trainer.batches(trainer.permutation()):
            if deadline.passed("epoch %d step %d" % (epoch + 1, nb)):
                break
            ms, loss = trainer.timed_step(idx)
            step_ms.append(ms)
            losses.append(loss)
            running += loss
            nb += 1
        if deadline.reason is not None:
            break
        trainer.sync()
        t1 = time.perf_counter()
        mean_loss = running / nb
        print("Epoch [%d/%d], Loss: %.4f" % (epoch + 1, epochs, mean_loss), file=sys.stderr, flush=True)
        acc = trainer.evaluate(test_x, test_y)
        trainer.sync()
        t2 = time.perf_counter()
        if ttt is None and target is not None and acc >= target:
            ttt = t2 - t_start
        records.append(
            {
                "epoch": epoch + 1,
                "loss": mean_loss,
                "seconds": t1 - t0,
                "testAccuracy": acc,
                "evalSeconds": t2 - t1,
                "stepLosses": losses,
            }
        )
    return records, ttt, step_ms


def endless_batches(trainer):
    """The batch order without end: a new permutation each time one is used up."""
    while True:
        yield from trainer.batches(trainer.permutation())


def reply(obj):
    print(json.dumps(obj), flush=True)


def serve_command(line, trainer, batches):
    """One command line's reply (the protocol's), and whether to stop serving."""
    try:
        cmd = json.loads(line)
    except ValueError:
        cmd = None
    if cmd == {"op": "quit"}:
        return {"bye": True}, True
    n = cmd.get("n") if isinstance(cmd, dict) and cmd.get("op") == "steps" and len(cmd) == 2 else None
    if type(n) is not int or n < 1:
        found = line.strip()[:200]
        return {"error": 'expected {"op":"steps","n":K >= 1} or {"op":"quit"}, found %s' % found}, False
    step_ms, losses = [], []
    for _ in range(n):
        ms, loss = trainer.timed_step(next(batches))
        step_ms.append(ms)
        losses.append(loss if loss == loss else None)
    return {"stepMs": step_ms, "losses": losses}, False


def serve(args, device, train_x, train_y):
    """--serve: the worker protocol on stdin/stdout until quit or EOF."""
    trainer = Trainer(args, device, train_x, train_y)
    trainer.model.train()
    batches = endless_batches(trainer)
    reply({"ready": True, "implementation": "pytorch", "version": torch.__version__,
           "deviceName": device_name(device), "threads": torch.get_num_threads(),
           "recipe": args.recipe})
    for line in sys.stdin:
        if not line.strip():
            continue
        answer, stop = serve_command(line, trainer, batches)
        reply(answer)
        if stop:
            break
    return 0


# ----------------------------------------------------------------- main ---

def parse_args(argv):
    """The command line, checked (argparse exits 2 on a bad one)."""
    ap = argparse.ArgumentParser(description="PyTorch GoogLeNet/MNIST baseline")
    ap.add_argument("--data", required=True, help="folder with the four MNIST IDX files")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch default)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=None, help="Mode A: timed steps after warmup")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=None, help="Mode B: whole epochs")
    ap.add_argument("--target-accuracy", type=float, default=0.97)
    ap.add_argument(
        "--tf32",
        action="store_true",
        help="allow TF32 on CUDA for matmuls and cuDNN convolutions (default: off for both; "
        "PyTorch's own default allows it for convolutions)",
    )
    ap.add_argument("--recipe", default="fp32", choices=list(RECIPES),
                    help="PyTorch's recipe for the step (baselines/pytorch_recipes.py; default: fp32, the seed's)")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="deadline: stop at a step boundary once S seconds have passed (default: none)")
    ap.add_argument("--json", help="where to write the results JSON (required without --serve)")
    ap.add_argument("--serve", action="store_true", help="run as a worker (protocol v1) on stdin/stdout")
    ap.add_argument("--train-limit", type=int, default=None, help="(smoke tests) use the first N train images")
    ap.add_argument("--test-limit", type=int, default=None, help="(smoke tests) use the first N test images")
    args = ap.parse_args(argv)
    if args.json is None and not args.serve:
        ap.error("--json is required without --serve")
    if args.steps is None and args.epochs is None:
        args.epochs = 10
    if (args.steps is not None and args.steps < 0) or (args.epochs is not None and args.epochs < 0):
        ap.error("--steps/--epochs must be >= 0")
    if args.warmup < 0 or args.batch_size < 1:
        ap.error("--warmup must be >= 0 and --batch-size >= 1")
    return args


def setup_device(args):
    """The torch device, threads and TF32 as the command line asks; None when CUDA is missing."""
    if args.device == "cuda" and not torch.cuda.is_available():
        print("pytorch_baseline: --device cuda but torch.cuda.is_available() is False", file=sys.stderr)
        return None
    device = torch.device("cuda:0" if args.device == "cuda" else "cpu")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    # TF32 for CUDA matmuls and convolutions, on or off as the Deno run's --tf32.
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = args.tf32
    return device


def load_data(args, device):
    """(train_x, train_y, test_x, test_y), cut to the smoke-test limits."""
    train_x, train_y = load_split(args.data, "train", device)
    test_x, test_y = load_split(args.data, "t10k", device)
    if args.train_limit:
        train_x, train_y = train_x[: args.train_limit], train_y[: args.train_limit]
    if args.test_limit:
        test_x, test_y = test_x[: args.test_limit], test_y[: args.test_limit]
    return train_x, train_y, test_x, test_y


def new_result(args, device, train_x, test_x):
    """The results JSON before any step (the fields src/bench/baselines/baseline.ts reads)."""
    return {
        "implementation": "pytorch",
        "torchVersion": torch.__version__,
        "device": args.device,
        "deviceName": device_name(device),
        "threads": torch.get_num_threads(),
        "batchSize": args.batch_size,
        "lr": args.lr,
        "seed": args.seed,
        "tf32": bool(args.tf32),
        "recipe": args.recipe,
        "firstStepMs": None,
        "warmupMs": [],
        "stepMs": [],
        "stepLosses": [],
        "epochs": [],
        "timeToTargetSeconds": None,
        "targetAccuracy": args.target_accuracy,
        "peakMemoryBytes": None,
        "finalTestAccuracy": None,
        "trainSamples": int(train_x.shape[0]),
        "testSamples": int(test_x.shape[0]),
        "complete": True,
        "stopReason": None,
    }


def window_into(result, args, device, train_x, train_y, deadline):
    """Mode A: --warmup untimed and --steps timed steps, their times and losses into result."""
    trainer = Trainer(args, device, train_x, train_y)
    warm_ms, step_ms, losses, faults = run_steps(trainer, args.warmup, args.steps, deadline)
    result["minorFaultsPerStep"] = faults  # extra: benches/malloc_processes.ts reads it
    result["warmupMs"] = warm_ms
    result["stepMs"] = step_ms
    result["stepLosses"] = losses  # warmup steps first, then timed steps
    all_ms = warm_ms + step_ms
    result["firstStepMs"] = all_ms[0] if all_ms else None
    if step_ms:
        s = sorted(step_ms)
        print(
            "steps: %d timed, median %.1f ms, mean %.1f ms (first step %.1f ms)"
            % (len(s), s[len(s) // 2], sum(s) / len(s), all_ms[0]),
            file=sys.stderr,
        )


def epochs_into(result, args, device, data, deadline):
    """Mode B: --epochs evaluated epochs, their records and time to target into result."""
    train_x, train_y, test_x, test_y = data
    trainer = Trainer(args, device, train_x, train_y)
    records, ttt, epoch_ms = run_epochs(trainer, args.epochs, test_x, test_y, args.target_accuracy, deadline)
    if args.steps is None:
        # No timed window: the step statistics come from the epochs' steps, the first
        # --warmup of them reported apart (as the Deno harness does).
        result["warmupMs"] = epoch_ms[: args.warmup]
        result["stepMs"] = epoch_ms[args.warmup :]
        result["firstStepMs"] = epoch_ms[0] if epoch_ms else None
    result["epochs"] = records
    result["timeToTargetSeconds"] = ttt
    if records:
        result["finalTestAccuracy"] = records[-1]["testAccuracy"]
        print("Test accuracy: %.2f%%" % (100.0 * records[-1]["testAccuracy"]), file=sys.stderr)


def json_safe(value):
    """value with every NaN or infinity as None: JSON has no NaN, and the harness reads null back
    as NaN (src/bench/baselines/baseline_files.ts)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


def write_json(path, result):
    """The results JSON at path, its folder made when missing."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(json_safe(result), f, indent=2, allow_nan=False)
        f.write("\n")


def run_batch(args, device, data):
    """Modes A and B: train as asked and write the results JSON; the exit code."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    result = new_result(args, device, data[0], data[2])
    deadline = Deadline(args.max_seconds)
    if args.steps is not None:
        window_into(result, args, device, data[0], data[1], deadline)
    if args.epochs and deadline.reason is None:
        epochs_into(result, args, device, data, deadline)
    if deadline.reason is not None:
        result["complete"] = False
        result["stopReason"] = deadline.reason
        print("pytorch_baseline: %s" % deadline.reason, file=sys.stderr)
    result["peakMemoryBytes"] = peak_memory_bytes(device)
    write_json(args.json, result)
    return 0


def main(argv=None):
    args = parse_args(argv)
    device = setup_device(args)
    if device is None:
        return 2
    try:
        data = load_data(args, device)
    except (OSError, ValueError) as e:
        print("pytorch_baseline: %s" % e, file=sys.stderr)
        if args.serve:
            reply({"error": "pytorch worker: %s" % e})
            return 1
        return 2
    if not args.serve:
        return run_batch(args, device, data)
    try:
        return serve(args, device, data[0], data[1])
    except Exception as e:  # a fatal failure: one error line, exit 1
        reply({"error": "pytorch worker: %s: %s" % (type(e).__name__, e)})
        return 1


if __name__ == "__main__":
    sys.exit(main())
