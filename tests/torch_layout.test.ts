// How scripts/setup.ts finds a libtorch (scripts/torch_layout.ts) and the CMake arguments it
// builds the shim with. No libtorch is needed: the layouts are fake folder trees.
import assert from "node:assert/strict";
import {
  cmakeArgs,
  discoverTorch,
  torchCxx11Abi,
  torchCxxStandard,
} from "../scripts/torch_layout.ts";

/** A temp folder with `files` (relative paths → contents); removed after `fn`. */
function withTree(files: Record<string, string>, fn: (root: string) => void): void {
  const root = Deno.makeTempDirSync({ prefix: "torch-layout-" });
  try {
    for (const [path, text] of Object.entries(files)) {
      Deno.mkdirSync(`${root}/${path.replace(/\/[^/]+$/, "")}`, { recursive: true });
      Deno.writeTextFileSync(`${root}/${path}`, text);
    }
    fn(root);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

const ATEN_H = (std: number) =>
  `#if __cplusplus < 201703L\n#error C++${std} or later compatible compiler is required to use ATen.\n#endif\n`;
const CONFIG = (abi: number) => `set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${abi}")\n`;
const TORCH_H = "torch/csrc/api/include/torch/torch.h";

/** A CUDA 13 wheel: site-packages/{torch,nvidia/cu13,nvidia/cudnn}. */
const CUDA_WHEEL = {
  "site/torch/include/ATen/ATen.h": ATEN_H(17),
  [`site/torch/include/${TORCH_H}`]: "",
  "site/torch/lib/libtorch.so": "",
  "site/torch/lib/libtorch_cpu.so": "",
  "site/torch/lib/libc10.so": "",
  "site/torch/lib/libtorch_cuda.so": "",
  "site/torch/lib/libc10_cuda.so": "",
  "site/torch/share/cmake/Torch/TorchConfig.cmake": CONFIG(1),
  "site/nvidia/cu13/include/cuda_runtime_api.h": "",
  "site/nvidia/cu13/lib/libcudart.so.13": "",
  "site/nvidia/cudnn/include/cudnn.h": "",
};
const NO_CUDA_ENV = { PATH: "" };

Deno.test("discoverTorch() on a CUDA 13 wheel finds its headers, libraries and cudart by soname", () => {
  withTree(CUDA_WHEEL, (root) => {
    const torch = `${root}/site/torch`, nv = `${root}/site/nvidia`;
    const layout = discoverTorch({ torchDir: torch, env: NO_CUDA_ENV, toolkitsIn: root });
    assert.deepEqual(cmakeArgs(layout), [
      `-DSHIM_TORCH_INCLUDE_DIRS=${torch}/include;${torch}/include/torch/csrc/api/include`,
      `-DSHIM_TORCH_LIB_DIR=${torch}/lib`,
      "-DSHIM_TORCH_LIBS=torch;torch_cpu;c10;torch_cuda;c10_cuda",
      "-DSHIM_CXX_STANDARD=17",
      "-DSHIM_CXX11_ABI=1",
      "-DSHIM_CUDA=ON",
      `-DSHIM_CUDA_INCLUDE_DIRS=${nv}/cu13/include;${nv}/cudnn/include`,
      `-DSHIM_CUDART=${nv}/cu13/lib/libcudart.so.13`,
    ]);
  });
});

Deno.test("discoverTorch() prefers CUDA_HOME's headers to the wheel's, keeping the wheel's others", () => {
  withTree({ ...CUDA_WHEEL, "toolkit/include/cuda_runtime_api.h": "" }, (root) => {
    const env = { CUDA_HOME: `${root}/toolkit`, PATH: "" };
    const layout = discoverTorch({ torchDir: `${root}/site/torch`, env, toolkitsIn: root });
    assert.deepEqual(layout.cuda?.includeDirs, [
      `${root}/toolkit/include`,
      `${root}/site/nvidia/cu13/include`,
      `${root}/site/nvidia/cudnn/include`,
    ]);
  });
});

Deno.test("discoverTorch() finds the toolkit beside nvcc on PATH when the wheel has no headers", () => {
  const files: Record<string, string> = { ...CUDA_WHEEL, "cuda-13.0/bin/nvcc": "" };
  delete files["site/nvidia/cu13/include/cuda_runtime_api.h"];
  files["cuda-13.0/include/cuda_runtime_api.h"] = "";
  withTree(files, (root) => {
    const env = { PATH: `/nonexistent:${root}/cuda-13.0/bin` };
    const layout = discoverTorch({ torchDir: `${root}/site/torch`, env, toolkitsIn: `${root}/x` });
    assert.equal(layout.cuda?.includeDirs[0], `${root}/cuda-13.0/include`);
  });
});

Deno.test("discoverTorch() fails at once, naming every folder searched, without CUDA headers", () => {
  const files: Record<string, string> = { ...CUDA_WHEEL, "cuda-12.4/bin/ptxas": "" };
  delete files["site/nvidia/cu13/include/cuda_runtime_api.h"];
  withTree(files, (root) => {
    const env = { CUDA_HOME: `${root}/nope`, PATH: "" };
    assert.throws(
      () => discoverTorch({ torchDir: `${root}/site/torch`, env, toolkitsIn: root }),
      (e: Error) => {
        assert.match(
          e.message,
          /expected the CUDA runtime's headers \(include\/cuda_runtime_api.h\)/,
        );
        for (const d of ["nope", "site/nvidia/cu13", "site/nvidia/cudnn", "cuda-12.4"]) {
          assert.ok(e.message.includes(`${root}/${d}`), `names ${d}: ${e.message}`);
        }
        return true;
      },
    );
  });
});

Deno.test("discoverTorch() on Debian's libtorch-dev: system folders, CPU only, C++17 at least", () => {
  const files = {
    "usr/include/ATen/ATen.h": ATEN_H(14),
    [`usr/include/${TORCH_H}`]: "",
    "usr/lib/x86_64-linux-gnu/libtorch.so": "",
    "usr/lib/x86_64-linux-gnu/libtorch_cpu.so": "",
    "usr/lib/x86_64-linux-gnu/libc10.so": "",
    "usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake": CONFIG(1),
  };
  withTree(files, (root) => {
    const system = {
      includeDir: `${root}/usr/include`,
      libDir: `${root}/usr/lib/x86_64-linux-gnu`,
    };
    assert.deepEqual(cmakeArgs(discoverTorch({ system, env: NO_CUDA_ENV })), [
      `-DSHIM_TORCH_INCLUDE_DIRS=${root}/usr/include;${root}/usr/include/torch/csrc/api/include`,
      `-DSHIM_TORCH_LIB_DIR=${root}/usr/lib/x86_64-linux-gnu`,
      "-DSHIM_TORCH_LIBS=torch;torch_cpu;c10",
      "-DSHIM_CXX_STANDARD=17",
      "-DSHIM_CXX11_ABI=1",
      "-DSHIM_CUDA=OFF",
      "-DSHIM_CUDA_INCLUDE_DIRS=",
      "-DSHIM_CUDART=",
    ]);
  });
});

Deno.test("discoverTorch() names what is missing from a libtorch", () => {
  withTree({ [`torch/include/${TORCH_H}`]: "", "torch/lib/libtorch.so": "" }, (root) => {
    assert.throws(
      () => discoverTorch({ torchDir: `${root}/torch`, env: NO_CUDA_ENV }),
      /expected libtorch\.so, libtorch_cpu\.so, libc10\.so in .*\/torch\/lib, missing libtorch_cpu\.so, libc10\.so/,
    );
  });
  withTree({}, (root) => {
    assert.throws(
      () => discoverTorch({ torchDir: `${root}/torch` }),
      /expected libtorch's C\+\+ headers in .*found no torch\/torch\.h there/,
    );
  });
});

Deno.test("torchCxxStandard() reads ATen.h's demand as each release words it, at least 17", () => {
  assert.equal(torchCxxStandard(ATEN_H(14)), 17);
  assert.equal(torchCxxStandard(ATEN_H(17)), 17);
  assert.equal(torchCxxStandard(ATEN_H(20)), 20);
  assert.equal(torchCxxStandard(""), 17);
});

Deno.test("torchCxx11Abi() reads TORCH_CXX_FLAGS from TorchConfig.cmake, or nothing", () => {
  assert.equal(torchCxx11Abi(CONFIG(0)), 0);
  assert.equal(torchCxx11Abi(CONFIG(1)), 1);
  assert.equal(torchCxx11Abi('set(TORCH_CXX_FLAGS "")'), undefined);
});
