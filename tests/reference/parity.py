#!/usr/bin/env python3
"""Reference forward/backward/Adam numbers for the GoogLeNet parity test.

  python3 tests/reference/parity.py --weights W.safetensors --batch B.safetensors \
      --out O.safetensors [--adam-steps S] [--threads 1]

W: one F32 tensor per model parameter, seed names (conv1.weight, ...,
   fc.bias); loaded with load_state_dict(strict=True).
B: images F32 [N,1,28,28], labels I64 [N]; optionally adam_images F32
   [S,N,1,28,28] and adam_labels I64 [S,N] (one batch per Adam step).

The model runs in eval mode (dropout off; there is no BatchNorm), float32.

O (safetensors, names sorted):
  logits              F32 [N,10]   model(images)
  loss                F64 []       CrossEntropyLoss (mean) of logits vs labels
  grad.<param>        F32          d loss / d param, for every parameter
and, when Adam steps are run (S > 0), starting again from W:
  adam_losses         F64 [S]      loss of step s, computed before optimizer.step()
  adam_final.<param>  F32          parameters after S steps of
                                   torch.optim.Adam(lr=1e-3) (other args default),
                                   each step zero_grad -> forward -> loss ->
                                   backward -> step, dropout off.
__metadata__: torch_version, threads, n, adam_steps, mode ("eval"), autocast, adam.

--autocast bf16 runs every forward pass and loss under
torch.autocast("cpu", dtype=torch.bfloat16, cache_enabled=False) (backward and
the optimizer outside it, as AMP prescribes); logits are written as F32.
--adam foreach|single picks torch.optim.Adam(foreach=True|False).

Adam steps: --adam-steps defaults to S from adam_images (0 without it). If
--adam-steps is given and adam_images is present, it must be <= S and the first
steps are used; if adam_images is absent, every step reuses images/labels.
"""

import argparse
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The seed's model has one Python copy, beside the baselines that train it.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "baselines"))
from googlenet import GoogLeNet, check_param_count  # noqa: E402
import safetensors_io  # noqa: E402


def build_model(weights):
    model = GoogLeNet()
    check_param_count(model)
    state = {k: v.to(torch.float32) for k, v in weights.items()}
    model.load_state_dict(state, strict=True)
    model.eval()  # dropout off; the parity is defined with dropout disabled
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", required=True)
    ap.add_argument("--batch", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--adam-steps", type=int, default=None)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--autocast", choices=["off", "bf16"], default="off")
    ap.add_argument("--adam", choices=["single", "foreach"], default="single")
    args = ap.parse_args(argv)

    torch.set_num_threads(max(1, args.threads))
    torch.manual_seed(0)  # nothing random is used (eval mode); fixed anyway

    weights = safetensors_io.load(args.weights)
    batch = safetensors_io.load(args.batch)
    images = batch["images"].to(torch.float32)
    labels = batch["labels"].to(torch.int64)
    if images.dim() != 4 or images.shape[1:] != (1, 28, 28):
        sys.exit("parity.py: images must be [N,1,28,28], got %s" % (list(images.shape),))
    if labels.shape != (images.shape[0],):
        sys.exit("parity.py: labels must be [N], got %s" % (list(labels.shape),))

    criterion = nn.CrossEntropyLoss()
    out = {}

    def forward_loss(model, x, y):
        if args.autocast == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16, cache_enabled=False):
                o = model(x)
                return o, criterion(o, y)
        o = model(x)
        return o, criterion(o, y)

    # ---- single forward/backward --------------------------------------
    model = build_model(weights)
    model.zero_grad(set_to_none=False)
    logits, loss = forward_loss(model, images, labels)
    loss.backward()
    out["logits"] = logits.detach().to(torch.float32).clone()
    out["loss"] = torch.tensor(loss.item(), dtype=torch.float64)
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad.detach().clone()

    # ---- Adam steps -----------------------------------------------------
    adam_x = batch.get("adam_images")
    adam_y = batch.get("adam_labels")
    if (adam_x is None) != (adam_y is None):
        sys.exit("parity.py: adam_images and adam_labels must be given together")
    if adam_x is not None:
        adam_x = adam_x.to(torch.float32)
        adam_y = adam_y.to(torch.int64)
        if adam_x.dim() != 5 or adam_y.dim() != 2 or adam_x.shape[0] != adam_y.shape[0]:
            sys.exit("parity.py: adam_images must be [S,N,1,28,28] and adam_labels [S,N]")
    avail = adam_x.shape[0] if adam_x is not None else None
    steps = args.adam_steps if args.adam_steps is not None else (avail or 0)
    if avail is not None and steps > avail:
        sys.exit("parity.py: --adam-steps %d but the batch holds only %d" % (steps, avail))

    if steps > 0:
        model = build_model(weights)
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, foreach=args.adam == "foreach")
        losses = []
        for s in range(steps):
            x = adam_x[s] if adam_x is not None else images
            y = adam_y[s] if adam_y is not None else labels
            optimizer.zero_grad()
            _, l = forward_loss(model, x, y)
            l.backward()
            optimizer.step()
            losses.append(l.item())
        out["adam_losses"] = torch.tensor(losses, dtype=torch.float64)
        for name, p in model.named_parameters():
            out["adam_final." + name] = p.detach().clone()

    meta = {
        "torch_version": torch.__version__,
        "threads": str(torch.get_num_threads()),
        "n": str(images.shape[0]),
        "adam_steps": str(steps),
        "adam_lr": repr(args.lr),
        "mode": "eval",
        "autocast": args.autocast,
        "adam": args.adam,
    }
    safetensors_io.save(out, args.out, metadata=meta)
    print(
        "parity.py: loss %.6f, %d grads, %d adam steps%s -> %s"
        % (
            loss.item(),
            sum(1 for k in out if k.startswith("grad.")),
            steps,
            (", last adam loss %.6f" % out["adam_losses"][-1].item()) if steps else "",
            args.out,
        ),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
