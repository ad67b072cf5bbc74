"""The GPU script's Python control: the device probes' 3x3 convolution and its backward through
Python's torch, run by scripts/gpu-bench.sh under exactly its own environment (LD_LIBRARY_PATH and
all), so that an environment only the shim sees is not mistaken for the cause of a crash. It prints
the values, then the CUDA, cuDNN, cuBLAS, NCCL and torch libraries the process has mapped, with
their paths (/proc/self/maps); exit 0 when the values are the ones worked out by hand.

    python3 scripts/cuda_control.py [DEVICE]      DEVICE: cpu or cuda:k (default cuda:0)
"""
import os
import sys

import torch

# The same file-name starts as native/bench/fault_reporter.c's.
PREFIXES = ("libcuda", "libcudart", "libcudnn", "libcublas", "libcufft", "libcurand",
            "libcusparse", "libcusolver", "libcupti", "libnvrtc", "libnvJitLink",
            "libnvToolsExt", "libnvidia", "libnccl", "libtorch", "libc10", "libcaffe2")


def say(what):
    print(f"python_control: {what}", file=sys.stderr, flush=True)


def loaded_libraries():
    seen = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line[line.find("/"):].strip() if "/" in line else ""
            if path and os.path.basename(path).startswith(PREFIXES) and path not in seen:
                seen.append(path)
    return seen


def main():
    device = sys.argv[1] if len(sys.argv) > 1 else "cuda:0"
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    say(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {cudnn}, on {device}")
    x = torch.ones(2, 3, 8, 8, device=device)
    w = torch.full((4, 3, 3, 3), 0.5, device=device, requires_grad=True)
    y = torch.nn.functional.conv2d(x, w)
    y.sum().backward()
    y0, g = y[0, 0, 0, 0].item(), w.grad.sum().item()
    # Each of the 108 weights meets 2 images x 36 output pixels of ones: a gradient of 72 each.
    expected = 72 * 4 * 3 * 3 * 3
    say(f"y[0] = {y0} (expected 13.5), sum of the weight gradient = {g} (expected {expected})")
    for path in loaded_libraries():
        say(f"loaded {path}")
    return 0 if y0 == 13.5 and g == expected else 1


if __name__ == "__main__":
    sys.exit(main())
