"""PyTorch's own recipes for the seed's training step, declared once: the paired baselines of
baselines/pytorch_baseline.py (--recipe) and the side-by-side timing of
benches/pytorch_step_recipes.py both import them from here.

  fp32              the seed's recipe, unchanged: fp32 NCHW, no autocast (`--baseline pytorch`)
  fp32-cl           fp32 in channels-last (weights and batches)
  bf16-autocast-cl  channels-last, forward and loss under torch.autocast(bf16) (`pytorch-bf16`)
  bf16-pure-cl      channels-last, the model cast to bf16 (plain bf16 parameters, so Adam updates
                    bf16 weights and keeps bf16 state: no fp32 master copy, as a PyTorch user does
                    it with model.to(torch.bfloat16)); the batch cast to bf16, the loss computed in
                    fp32 from the logits cast back (`pytorch-bf16-pure`)
  bf16-hybrid-cl    channels-last, bf16-pure-cl's plain bf16 parameters in the stages whose input
                    is at least BF16_MIN_SIDE pixels on a side, fp32 in the rest, each stage's
                    input cast to its dtype by a forward pre-hook (`pytorch-bf16-hybrid`: the
                    same split as our `--precision bf16-hybrid`)
  fp32-compile      the seed's fp32 recipe with the model under torch.compile (inductor, its
                    default mode), torch >= 2.0 only (`pytorch-compile`); the first steps compile

A recipe changes only how the model is laid out and how the forward pass and the loss run; the
seed, the model's initialisation, the optimizer and the batch order are the caller's.
"""

import torch

CL = torch.channels_last

# name -> (channels-last, parameter dtype, autocast dtype or None)
RECIPES = {
    "fp32": (False, torch.float32, None),
    "fp32-cl": (True, torch.float32, None),
    "bf16-autocast-cl": (True, torch.float32, torch.bfloat16),
    "bf16-pure-cl": (True, torch.bfloat16, None),
    "bf16-hybrid-cl": (True, None, None),  # dtype per stage: see _split
    "fp32-compile": (False, torch.float32, None),  # under torch.compile: see COMPILED
}

# The recipes whose model runs under torch.compile (torch 2.x).
COMPILED = {"fp32-compile"}


def compile_problem(recipe):
    """Why `recipe` cannot run on this torch (a one-line message), or None when it can."""
    if recipe in COMPILED and not hasattr(torch, "compile"):
        return "recipe %s: torch.compile needs torch >= 2.0, found torch %s" % (
            recipe, torch.__version__)
    return None

# src/model/architecture.ts's BF16_MIN_SIDE (tests/recipe_workers.test.ts checks they agree).
BF16_MIN_SIDE = 4


def check(recipe):
    """The recipe's declaration; ValueError naming the known ones for an unknown name."""
    if recipe not in RECIPES:
        raise ValueError("unknown recipe %r, expected one of %s" % (recipe, ", ".join(RECIPES)))
    return RECIPES[recipe]


def _split(model):
    """bf16 for the top-level stages whose input is at least BF16_MIN_SIDE pixels on a side, fp32
    for the others; each stage's input is cast to its dtype on the way in."""
    sides = {}
    def side(n):
        def record(_m, i):
            sides[n] = i[0].shape[-1] if i[0].dim() == 4 else 0
        return record

    hooks = [c.register_forward_pre_hook(side(n)) for n, c in model.named_children()]
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28).contiguous(memory_format=CL))
    for h in hooks:
        h.remove()
    for n, c in model.named_children():
        dtype = torch.bfloat16 if sides.get(n, 0) >= BF16_MIN_SIDE else torch.float32
        c.to(dtype)
        c.register_forward_pre_hook(lambda _m, i, d=dtype: tuple(t.to(d) for t in i))
    return model


def prepare(recipe, model):
    """The model laid out for `recipe` (before the optimizer is built on its parameters)."""
    channels_last, dtype, _ = check(recipe)
    problem = compile_problem(recipe)
    if problem is not None:
        raise ValueError(problem)
    if channels_last:
        model = model.to(memory_format=CL)
    if dtype is None:
        return _split(model)
    if dtype != torch.float32:
        model = model.to(dtype)
    return torch.compile(model) if recipe in COMPILED else model


def _input(recipe, x):
    """An fp32 NCHW batch in the recipe's layout and dtype."""
    channels_last, dtype, _ = check(recipe)
    if channels_last:
        x = x.contiguous(memory_format=CL)
    return x if dtype in (None, torch.float32) else x.to(dtype)


def logits(recipe, model, x):
    """The model's output for an fp32 NCHW batch `x` under `recipe` (training or evaluation)."""
    autocast = check(recipe)[2]
    if autocast is None:
        return model(_input(recipe, x))
    with torch.autocast(x.device.type, dtype=autocast):
        return model(_input(recipe, x))


def forward_loss(recipe, model, criterion, x, y):
    """The step's forward pass and loss under `recipe`: in fp32 from the logits (cast back when
    they are bf16), or under autocast with them for the autocast recipe."""
    autocast = check(recipe)[2]
    if autocast is None:
        return criterion(logits(recipe, model, x).float(), y)
    with torch.autocast(x.device.type, dtype=autocast):
        return criterion(model(_input(recipe, x)), y)


def sample_batches(count=8, batch=64):
    """`count` MNIST-shaped batches of `batch` images and labels from a seed-0 generator (no
    data set needed): the fixed input of the step benches."""
    g = torch.Generator().manual_seed(0)
    xs = (torch.rand(count, batch, 1, 28, 28, generator=g) - 0.5) / 0.5
    return xs, torch.randint(0, 10, (count, batch), generator=g)
