#!/usr/bin/env python3
"""Generate tests/fixtures/ops.safetensors + tests/fixtures/ops.json.

  /usr/bin/python3 tests/reference/make_fixtures.py [--out-dir tests/fixtures]

Small op-level reference cases computed with PyTorch (float32, CPU, one
thread). Each case draws its inputs after torch.manual_seed(crc32(case name)),
so the output is reproducible for a given torch version, and adding, removing
or reordering a case leaves every other case's inputs as they were.

Every case in ops.json:
  name        case name; its tensors are "<name>.<role>"
  op          the operation (see OPS below)
  params      op parameters (stride, padding, kernel, ceil_mode, dim, lr, ...)
  inputs      {role: tensor name}
  outputs     {role: tensor name}
  tolerance   {"abs": x}: |ours - reference| <= x elementwise (integer outputs: exact)
  note        what exactly is computed, where not obvious

Each float output was also recomputed in float64 from the same inputs; the
generator fails if float32-vs-float64 error is not at least 10x below the
stated tolerance (the f64 error is recorded as "f64MaxAbsErr").
"""

import argparse
import json
import os
import sys
import zlib

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402

TOL_F32 = 1e-5
TOL_ADAM = 1e-6

ADAM_NOTE = (
    "torch.optim.Adam (torch 1.13 single-tensor path, weight_decay 0, amsgrad False, maximize False): "
    "for t = 1..T: m = b1*m + (1-b1)*g_t; v = b2*v + (1-b2)*g_t^2; "
    "bc1 = 1 - b1^t; bc2 = 1 - b2^t; denom = sqrt(v)/sqrt(bc2) + eps; "
    "p = p - (lr/bc1) * m/denom; m, v start at 0. out[t-1] = p after step t. "
    "m_final/v_final: optimizer state after step T."
)


class Builder:
    def __init__(self):
        self.tensors = {}
        self.cases = []

    def add(self, name, op, params, inputs, outputs, tol, note=None, f64=None):
        ins = {}
        for role, t in inputs.items():
            key = "%s.%s" % (name, role)
            self.tensors[key] = t.detach().clone().contiguous()
            ins[role] = key
        outs = {}
        for role, t in outputs.items():
            key = "%s.%s" % (name, role)
            self.tensors[key] = t.detach().clone().contiguous()
            outs[role] = key
        case = {
            "name": name,
            "op": op,
            "params": params,
            "inputs": ins,
            "outputs": outs,
            "tolerance": {"abs": tol},
        }
        if note:
            case["note"] = note
        if f64 is not None:
            # f64: {role: float64 recomputation}
            err = 0.0
            for role, ref in f64.items():
                got = outputs[role].detach().to(torch.float64)
                err = max(err, (got - ref.detach()).abs().max().item() if got.numel() else 0.0)
            if not err * 10 <= tol:
                raise AssertionError("%s: f32 vs f64 error %.3g too close to tolerance %g" % (name, err, tol))
            case["f64MaxAbsErr"] = float("%.3g" % err)
        self.cases.append(case)


def d(t):
    return t.detach().to(torch.float64)


def conv_case(b, name, x, w, bias, stride, padding):
    out = F.conv2d(x, w, bias, stride=stride, padding=padding)
    out64 = F.conv2d(d(x), d(w), d(bias) if bias is not None else None, stride=stride, padding=padding)
    inputs = {"x": x, "w": w}
    if bias is not None:
        inputs["b"] = bias
    b.add(
        name,
        "conv2d",
        {
            "kernel": list(w.shape[2:]),
            "stride": [stride, stride],
            "padding": [padding, padding],
            "dilation": [1, 1],
            "groups": 1,
            "bias": bias is not None,
        },
        inputs,
        {"out": out},
        TOL_F32,
        f64={"out": out64},
    )


def seeded(name):
    """Seeds the default generator from the case's name alone (CRC-32), so that adding, removing or
    reordering a case never changes the inputs of another."""
    torch.manual_seed(zlib.crc32(name.encode()))


def conv3x3_inputs():
    seeded("conv2d_3x3")
    x = torch.randn(2, 3, 6, 6)
    w = torch.randn(4, 3, 3, 3) / 27 ** 0.5  # ~ 1/sqrt(fan_in), keeps outputs O(1)
    return x, w, torch.randn(4)


def pool_k3s2_input():
    seeded("max_pool2d_k3s2p1")
    return torch.randn(2, 3, 7, 7)


def case_conv2d_3x3(b):
    conv_case(b, "conv2d_3x3", *conv3x3_inputs(), 1, 1)


def case_conv2d_7x7_s2(b):
    seeded("conv2d_7x7_s2")
    conv_case(b, "conv2d_7x7_s2", torch.randn(2, 1, 12, 12), torch.randn(5, 1, 7, 7) / 7.0, torch.randn(5), 2, 3)


def case_conv2d_1x1_nobias(b):
    seeded("conv2d_1x1_nobias")
    conv_case(b, "conv2d_1x1_nobias", torch.randn(2, 4, 5, 5), torch.randn(3, 4, 1, 1) / 2.0, None, 1, 0)


def case_relu(b):
    seeded("relu")
    x = torch.randn(2, 3, 4, 4)
    x[0, 0, 0, :2] = 0.0  # exact zeros stay zero
    b.add("relu", "relu", {}, {"x": x}, {"out": F.relu(x)}, TOL_F32, f64={"out": F.relu(d(x))})


def pool_case(b, name, x, k, s, p, ceil):
    out = F.max_pool2d(x, k, s, p, ceil_mode=ceil)
    b.add(
        name,
        "max_pool2d",
        {"kernel": [k, k], "stride": [s, s], "padding": [p, p], "dilation": [1, 1], "ceil_mode": ceil},
        {"x": x},
        {"out": out},
        TOL_F32,
        note="padding acts as -inf",
        f64={"out": F.max_pool2d(d(x), k, s, p, ceil_mode=ceil)},
    )


def case_max_pool2d_k3s2p1(b):
    pool_case(b, "max_pool2d_k3s2p1", pool_k3s2_input(), 3, 2, 1, False)


def case_max_pool2d_k3s1p1(b):
    seeded("max_pool2d_k3s1p1")
    pool_case(b, "max_pool2d_k3s1p1", torch.randn(2, 3, 5, 5), 3, 1, 1, False)


def case_max_pool2d_k2s2_ceil(b):
    seeded("max_pool2d_k2s2_ceil")
    pool_case(b, "max_pool2d_k2s2_ceil", torch.randn(1, 2, 5, 5), 2, 2, 0, True)


def case_adaptive_avg_pool2d(b):
    seeded("adaptive_avg_pool2d")
    x = torch.randn(2, 4, 3, 3)
    b.add(
        "adaptive_avg_pool2d",
        "adaptive_avg_pool2d",
        {"output_size": [1, 1]},
        {"x": x},
        {"out": F.adaptive_avg_pool2d(x, (1, 1))},
        TOL_F32,
        f64={"out": F.adaptive_avg_pool2d(d(x), (1, 1))},
    )


def case_cat(b):
    seeded("cat")
    a0, a1, a2 = torch.randn(2, 1, 3, 3), torch.randn(2, 2, 3, 3), torch.randn(2, 3, 3, 3)
    b.add(
        "cat",
        "cat",
        {"dim": 1},
        {"a": a0, "b": a1, "c": a2},
        {"out": torch.cat([a0, a1, a2], 1)},
        TOL_F32,
        note="inputs in order a, b, c",
        f64={"out": torch.cat([d(a0), d(a1), d(a2)], 1)},
    )


def linear_inputs():
    return torch.randn(3, 8), torch.randn(5, 8) / 8 ** 0.5, torch.randn(5)


def case_linear(b):
    seeded("linear")
    x, w, bias = linear_inputs()
    b.add(
        "linear",
        "linear",
        {"bias": True},
        {"x": x, "w": w, "b": bias},
        {"out": F.linear(x, w, bias)},
        TOL_F32,
        note="out = x @ w^T + b",
        f64={"out": F.linear(d(x), d(w), d(bias))},
    )


def case_cross_entropy(b):
    seeded("cross_entropy")
    logits = torch.randn(4, 10, requires_grad=True)
    labels = torch.randint(0, 10, (4,), dtype=torch.int64)
    loss = F.cross_entropy(logits, labels, reduction="mean")
    (grad,) = torch.autograd.grad(loss, logits)
    l64 = d(logits).requires_grad_(True)
    loss64 = F.cross_entropy(l64, labels)
    (grad64,) = torch.autograd.grad(loss64, l64)
    b.add(
        "cross_entropy",
        "cross_entropy",
        {"reduction": "mean"},
        {"logits": logits, "labels": labels},
        {"loss": loss, "grad_logits": grad},
        TOL_F32,
        note="loss is a 0-d F32 tensor; grad_logits = d loss / d logits = (softmax - onehot)/N",
        f64={"loss": loss64, "grad_logits": grad64},
    )


def case_argmax(b):
    seeded("argmax")
    x = torch.randn(4, 10)
    b.add("argmax", "argmax", {"dim": 1}, {"x": x}, {"out": x.argmax(1)}, 0, note="I64 output, exact")


def case_sum(b):
    seeded("sum")
    x = torch.randn(3, 4, 5)
    b.add("sum", "sum", {"dim": None}, {"x": x}, {"out": x.sum()}, TOL_F32,
          note="sum of all elements, 0-d F32", f64={"out": d(x).sum()})


def case_mean(b):
    seeded("mean")
    x = torch.randn(3, 4, 5)
    b.add("mean", "mean", {"dim": None}, {"x": x}, {"out": x.mean()}, TOL_F32,
          note="mean of all elements, 0-d F32", f64={"out": d(x).mean()})


def case_conv2d_3x3_backward(b):
    conv3x3 = conv3x3_inputs()
    seeded("conv2d_3x3_backward")
    x, w, bias = (t.clone().requires_grad_(True) for t in conv3x3)
    g = torch.randn(2, 4, 6, 6) / 8.0  # grad_w sums 72 products of x*g
    out = F.conv2d(x, w, bias, stride=1, padding=1)
    gx, gw, gb = torch.autograd.grad((out * g).sum(), (x, w, bias))
    x64, w64, b64 = (d(t).requires_grad_(True) for t in conv3x3)
    gx64, gw64, gb64 = torch.autograd.grad((F.conv2d(x64, w64, b64, padding=1) * d(g)).sum(), (x64, w64, b64))
    b.add(
        "conv2d_3x3_backward",
        "conv2d_backward",
        {"kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "dilation": [1, 1], "groups": 1, "bias": True},
        {"x": x, "w": w, "b": bias, "g": g},
        {"grad_x": gx, "grad_w": gw, "grad_b": gb},
        TOL_F32,
        note="gradients of sum(conv2d(x, w, b) * g) wrt x, w, b (g = upstream gradient); "
        "x, w, b are the conv2d_3x3 inputs",
        f64={"grad_x": gx64, "grad_w": gw64, "grad_b": gb64},
    )


def case_max_pool2d_k3s2p1_backward(b):
    pool_k3s2 = pool_k3s2_input()
    seeded("max_pool2d_k3s2p1_backward")
    x = pool_k3s2.clone().requires_grad_(True)
    out = F.max_pool2d(x, 3, 2, 1)
    g = torch.randn_like(out)
    (gx,) = torch.autograd.grad((out * g).sum(), x)
    x64 = d(pool_k3s2).requires_grad_(True)
    (gx64,) = torch.autograd.grad((F.max_pool2d(x64, 3, 2, 1) * d(g)).sum(), x64)
    b.add(
        "max_pool2d_k3s2p1_backward",
        "max_pool2d_backward",
        {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "dilation": [1, 1], "ceil_mode": False},
        {"x": pool_k3s2, "g": g},
        {"grad_x": gx},
        TOL_F32,
        note="gradient of sum(max_pool2d(x) * g) wrt x; x is max_pool2d_k3s2p1.x (no ties)",
        f64={"grad_x": gx64},
    )


def case_linear_backward(b):
    seeded("linear_backward")
    x, w, bias = linear_inputs()
    g = torch.randn(3, 5)
    xr, wr, br = (t.clone().requires_grad_(True) for t in (x, w, bias))
    gx, gw, gb = torch.autograd.grad((F.linear(xr, wr, br) * g).sum(), (xr, wr, br))
    x64, w64, b64 = (d(t).requires_grad_(True) for t in (x, w, bias))
    gx64, gw64, gb64 = torch.autograd.grad((F.linear(x64, w64, b64) * d(g)).sum(), (x64, w64, b64))
    b.add(
        "linear_backward",
        "linear_backward",
        {"bias": True},
        {"x": x, "w": w, "b": bias, "g": g},
        {"grad_x": gx, "grad_w": gw, "grad_b": gb},
        TOL_F32,
        note="gradients of sum(linear(x, w, b) * g) wrt x, w, b",
        f64={"grad_x": gx64, "grad_w": gw64, "grad_b": gb64},
    )


def adam_case(b, name, lr, betas, eps):
    seeded(name)
    p0 = torch.randn(3, 4) * 0.5  # |p| < ~1.5 so float32 ulp stays well below the tolerance
    grads = torch.randn(5, 3, 4)
    p = p0.clone().requires_grad_(True)
    opt = torch.optim.Adam([p], lr=lr, betas=betas, eps=eps)
    traj = []
    for t in range(grads.shape[0]):
        opt.zero_grad()
        p.grad = grads[t].clone()
        opt.step()
        traj.append(p.detach().clone())
    st = opt.state[p]
    # float64 re-derivation of the same recurrence, as a check
    p64, m64, v64 = d(p0), torch.zeros(3, 4, dtype=torch.float64), torch.zeros(3, 4, dtype=torch.float64)
    traj64 = []
    for t in range(grads.shape[0]):
        gt = d(grads[t])
        m64 = betas[0] * m64 + (1 - betas[0]) * gt
        v64 = betas[1] * v64 + (1 - betas[1]) * gt * gt
        bc1, bc2 = 1 - betas[0] ** (t + 1), 1 - betas[1] ** (t + 1)
        p64 = p64 - (lr / bc1) * m64 / (v64.sqrt() / (bc2 ** 0.5) + eps)
        traj64.append(p64)
    b.add(
        name,
        "adam",
        {"lr": lr, "betas": list(betas), "eps": eps, "weight_decay": 0.0, "amsgrad": False, "steps": 5},
        {"p": p0, "g": grads},
        {"out": torch.stack(traj), "m_final": st["exp_avg"], "v_final": st["exp_avg_sq"]},
        TOL_ADAM,
        note="g[t] is the gradient at step t+1. " + ADAM_NOTE,
        f64={"out": torch.stack(traj64), "m_final": m64, "v_final": v64},
    )


def case_adam(b):
    adam_case(b, "adam", 1e-3, (0.9, 0.999), 1e-8)


def case_adam_custom(b):
    adam_case(b, "adam_custom", 1e-2, (0.8, 0.99), 1e-6)


# Every case, in the order ops.json lists them; each draws its inputs after seeded(its name).
CASES = [
    case_conv2d_3x3, case_conv2d_7x7_s2, case_conv2d_1x1_nobias, case_relu,
    case_max_pool2d_k3s2p1, case_max_pool2d_k3s1p1, case_max_pool2d_k2s2_ceil,
    case_adaptive_avg_pool2d, case_cat, case_linear, case_cross_entropy, case_argmax, case_sum,
    case_mean, case_conv2d_3x3_backward, case_max_pool2d_k3s2p1_backward, case_linear_backward,
    case_adam, case_adam_custom,
]


def build(cases=CASES):
    b = Builder()
    for case in cases:
        case(b)
    return b


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", default=os.path.join(HERE, "..", "fixtures"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    b = build()
    os.makedirs(args.out_dir, exist_ok=True)
    st_path = os.path.normpath(os.path.join(args.out_dir, "ops.safetensors"))
    safetensors_io.save(b.tensors, st_path, metadata={"torch_version": torch.__version__, "seed": "crc32(case name)"})
    dt = {torch.float32: "F32", torch.int64: "I64"}
    doc = {
        "description": "Op-level reference values from PyTorch (float32, CPU). "
        "Tensors live in ops.safetensors under the names given here.",
        "generator": "tests/reference/make_fixtures.py",
        "torchVersion": torch.__version__,
        "seed": "crc32(case name)",
        "tensorsFile": "ops.safetensors",
        "tolerancePolicy": "absolute, elementwise; %g for float32 ops, %g for adam, 0 (exact) for integer outputs"
        % (TOL_F32, TOL_ADAM),
        "cases": b.cases,
        "tensors": {k: {"dtype": dt[v.dtype], "shape": list(v.shape)} for k, v in sorted(b.tensors.items())},
    }
    with open(os.path.join(args.out_dir, "ops.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("%d cases, %d tensors, %d bytes -> %s" % (len(b.cases), len(b.tensors), os.path.getsize(st_path), st_path),
          file=sys.stderr)


if __name__ == "__main__":
    main()
