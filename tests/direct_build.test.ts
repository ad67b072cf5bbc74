// The compiler-only build of the shim (scripts/direct_build.ts): its command and how it finds a
// libtorch. No libtorch is needed: the layouts are fake folders.
import assert from "node:assert/strict";
import {
  directBuildArgs,
  discoverTorch,
  torchCxxFlags,
  torchCxxStandard,
  type TorchLayout,
} from "../scripts/direct_build.ts";

const cpu: TorchLayout = {
  includeDirs: ["/usr/include", "/usr/include/torch/csrc/api/include"],
  libDir: "/usr/lib/x86_64-linux-gnu",
  cxxFlags: ["-D_GLIBCXX_USE_CXX11_ABI=1"],
};
const opts = { sourceDir: "/p/native", output: "/p/native/build/libtorch_shim.so" };

Deno.test("directBuildArgs() leaves /usr/include to the compiler and keeps the ABI flag", () => {
  const args = directBuildArgs(cpu, opts);
  assert.ok(!args.includes("/usr/include"), "-isystem /usr/include breaks #include_next");
  assert.deepEqual(args.slice(args.indexOf("-isystem"), args.indexOf("-isystem") + 2), [
    "-isystem",
    "/usr/include/torch/csrc/api/include",
  ]);
  assert.ok(args.includes("-D_GLIBCXX_USE_CXX11_ABI=1"));
  assert.ok(args.includes("-shared") && args.includes("-fPIC"));
  assert.equal(args[args.indexOf("-o") + 1], opts.output);
  assert.ok(!args.includes("-DTORCH_SHIM_CUDA=1"));
  assert.ok(!args.includes("-ltorch_cuda"));
});

Deno.test("directBuildArgs() links libtorch's libraries even when no symbol is used by name", () => {
  const args = directBuildArgs(cpu, opts);
  const from = args.indexOf("-Wl,--no-as-needed"), to = args.indexOf("-Wl,--as-needed");
  assert.ok(from >= 0 && to > from);
  assert.deepEqual(args.slice(from + 1, to), ["-ltorch", "-ltorch_cpu", "-lc10"]);
  assert.ok(args.includes(`-Wl,-rpath,${cpu.libDir}`));
});

Deno.test("directBuildArgs() with CUDA defines TORCH_SHIM_CUDA and links the CUDA libraries", () => {
  const torch: TorchLayout = {
    ...cpu,
    includeDirs: ["/site/torch/include", "/site/torch/include/torch/csrc/api/include"],
    libDir: "/site/torch/lib",
    cuda: { includeDir: "/usr/local/cuda/include", libDir: "/usr/local/cuda/lib64" },
  };
  const args = directBuildArgs(torch, opts);
  assert.ok(args.includes("-DTORCH_SHIM_CUDA=1"));
  assert.ok(args.includes("/site/torch/include"), "a wheel's include folder is passed");
  assert.ok(args.includes("/usr/local/cuda/include"));
  const linked = args.slice(args.indexOf("-Wl,--no-as-needed"), args.indexOf("-Wl,--as-needed"));
  for (const lib of ["-ltorch_cuda", "-lc10_cuda", "-lcudart"]) assert.ok(linked.includes(lib));
  assert.ok(args.includes("-Wl,-rpath,/site/torch/lib:/usr/local/cuda/lib64"));
});

Deno.test("torchCxxFlags() reads TORCH_CXX_FLAGS from TorchConfig.cmake, or none", () => {
  const config = 'if(CMAKE_SYSTEM_NAME STREQUAL "Linux")\n' +
    '  set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=0")\nendif()\n';
  assert.deepEqual(torchCxxFlags(config), ["-D_GLIBCXX_USE_CXX11_ABI=0"]);
  assert.deepEqual(torchCxxFlags('set(TORCH_CXX_FLAGS "")'), []);
  assert.deepEqual(torchCxxFlags(""), []);
});

Deno.test("torchCxxStandard() reads the standard ATen.h demands, as each release words it", () => {
  const guard = (n: number) =>
    `#pragma once\n#if !defined(_MSC_VER) && __cplusplus < ${n === 20 ? 202002 : 201703}L\n` +
    `#error C++${n} or later compatible compiler is required to use ATen.\n#endif\n`;
  assert.equal(torchCxxStandard(guard(14)), 14); // 1.13
  assert.equal(torchCxxStandard(guard(17)), 17); // 2.6
  assert.equal(torchCxxStandard(guard(20)), 20); // 2.14
  assert.equal(torchCxxStandard("#pragma once\n"), undefined);
});

Deno.test("directBuildArgs() compiles with the headers' C++ standard, never below the shim's 17", () => {
  const std = (cxxStandard?: number) =>
    directBuildArgs({ ...cpu, cxxStandard }, opts).filter((a) => a.startsWith("-std="));
  assert.deepEqual(std(20), ["-std=c++20"]);
  assert.deepEqual(std(17), ["-std=c++17"]);
  assert.deepEqual(std(14), ["-std=c++17"]);
  assert.deepEqual(std(undefined), ["-std=c++17"]);
});

/** A fake wheel: torch/{include,lib,share/cmake/Torch} under a temporary folder. */
function fakeWheel(options: { cuda?: boolean; headers?: boolean; aten?: string } = {}): string {
  const root = Deno.makeTempDirSync({ prefix: "fake-torch-" });
  const torch = `${root}/torch`;
  const api = `${torch}/include/torch/csrc/api/include/torch`;
  Deno.mkdirSync(api, { recursive: true });
  if (options.headers !== false) Deno.writeTextFileSync(`${api}/torch.h`, "");
  if (options.aten !== undefined) {
    Deno.mkdirSync(`${torch}/include/ATen`);
    Deno.writeTextFileSync(`${torch}/include/ATen/ATen.h`, options.aten);
  }
  Deno.mkdirSync(`${torch}/lib`);
  const libs = ["libtorch.so", "libtorch_cpu.so", "libc10.so"];
  if (options.cuda) libs.push("libtorch_cuda.so", "libc10_cuda.so");
  for (const l of libs) Deno.writeTextFileSync(`${torch}/lib/${l}`, "");
  Deno.mkdirSync(`${torch}/share/cmake/Torch`, { recursive: true });
  Deno.writeTextFileSync(
    `${torch}/share/cmake/Torch/TorchConfig.cmake`,
    'set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=1")\n',
  );
  return root;
}

Deno.test("discoverTorch() finds a wheel's headers, libraries and flags from its CMake prefix", () => {
  const root = fakeWheel({
    aten: "#error C++20 or later compatible compiler is required to use ATen.\n",
  });
  try {
    const torch = discoverTorch(`${root}/torch/share/cmake`);
    assert.equal(torch.cxxStandard, 20);
    assert.deepEqual(torch.includeDirs, [
      `${root}/torch/include`,
      `${root}/torch/include/torch/csrc/api/include`,
    ]);
    assert.equal(torch.libDir, `${root}/torch/lib`);
    assert.deepEqual(torch.cxxFlags, ["-D_GLIBCXX_USE_CXX11_ABI=1"]);
    assert.equal(torch.cuda, undefined);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("discoverTorch() takes the CUDA toolkit from CUDA_HOME and a wheel's CUDA headers for a CUDA libtorch", () => {
  const root = fakeWheel({ cuda: true });
  const cuda = `${root}/cuda`;
  Deno.mkdirSync(`${cuda}/include`, { recursive: true });
  Deno.writeTextFileSync(`${cuda}/include/cuda_runtime_api.h`, "");
  Deno.mkdirSync(`${cuda}/lib64`);
  Deno.writeTextFileSync(`${cuda}/lib64/libcudart.so`, "");
  // The wheel's own CUDA libraries beside torch/: their headers are added, in name order.
  Deno.mkdirSync(`${root}/nvidia/cublas/include`, { recursive: true });
  Deno.mkdirSync(`${root}/nvidia/cu13/include`, { recursive: true });
  Deno.mkdirSync(`${root}/nvidia/nccl/lib`, { recursive: true });
  const saved = Deno.env.get("CUDA_HOME");
  Deno.env.set("CUDA_HOME", cuda);
  try {
    const torch = discoverTorch(`${root}/torch/share/cmake/`);
    assert.deepEqual(torch.cuda, {
      includeDir: `${cuda}/include`,
      libDir: `${cuda}/lib64`,
      extraIncludeDirs: [`${root}/nvidia/cu13/include`, `${root}/nvidia/cublas/include`],
    });
    const args = directBuildArgs(torch, opts);
    assert.ok(
      args.indexOf(`${cuda}/include`) < args.indexOf(`${root}/nvidia/cu13/include`),
      "the toolkit's headers come first",
    );
  } finally {
    if (saved === undefined) Deno.env.delete("CUDA_HOME");
    else Deno.env.set("CUDA_HOME", saved);
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("discoverTorch() says what it expected when the headers or libraries are missing", () => {
  const root = fakeWheel({ headers: false });
  try {
    assert.throws(() => discoverTorch(`${root}/torch/share/cmake`), /found no torch\/torch\.h/);
    Deno.writeTextFileSync(`${root}/torch/include/torch/csrc/api/include/torch/torch.h`, "");
    Deno.removeSync(`${root}/torch/lib/libc10.so`);
    assert.throws(() => discoverTorch(`${root}/torch/share/cmake`), /missing libc10\.so/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
