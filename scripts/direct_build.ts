/**
 * The shim built by the C++ compiler alone, without CMake: the fallback of scripts/setup.ts when
 * Torch's CMake config cannot be used (a PyTorch wheel whose config wants a CUDA toolkit layout
 * the machine lacks, FindCUDA gone from a new CMake, no cmake at all). One `g++` command compiles
 * and links native/torch_api.cpp with the flags CMake would have used.
 *
 *   deno run -A scripts/setup.ts --direct        # force it
 *
 * {@linkcode directBuildArgs} is pure (tested in tests/direct_build.test.ts);
 * {@linkcode discoverTorch} reads the file system.
 *
 * @module
 */

import { existsSync } from "node:fs";

/** Where one libtorch lives, as the compiler needs it. */
export interface TorchLayout {
  /** Header folders, in order (the C++ API folder included). */
  includeDirs: string[];
  /** The folder holding libtorch.so, libtorch_cpu.so and libc10.so. */
  libDir: string;
  /** TORCH_CXX_FLAGS from TorchConfig.cmake (the libstdc++ ABI setting above all). */
  cxxFlags: string[];
  /** The C++ standard the headers demand (see {@linkcode torchCxxStandard}); 17 when absent. */
  cxxStandard?: number;
  /** Present when the libtorch has CUDA (libtorch_cuda.so beside libtorch.so). */
  cuda?: {
    includeDir: string;
    libDir: string;
    /** More header folders after the toolkit's: a wheel's site-packages/nvidia/<lib>/include. */
    extraIncludeDirs?: string[];
  };
}

/** Options of {@linkcode directBuildArgs}. */
export interface DirectBuildOptions {
  /** The shim's source folder (native/). */
  sourceDir: string;
  /** The library to write. */
  output: string;
}

const SYSTEM_INCLUDE_DIRS = ["/usr/include", "/usr/local/include"];
/** The shim's own C++ standard. */
const MIN_CXX_STANDARD = 17;

/** The compiler's arguments (after the compiler's name) that build the shim against `torch`. */
export function directBuildArgs(torch: TorchLayout, options: DirectBuildOptions): string[] {
  const { sourceDir, output } = options;
  const args = [
    `-std=c++${Math.max(MIN_CXX_STANDARD, torch.cxxStandard ?? MIN_CXX_STANDARD)}`,
    "-O3",
    "-DNDEBUG",
    "-fPIC",
    "-shared",
    "-Wall",
    "-Wno-unused-parameter",
  ];
  args.push(...torch.cxxFlags, `-I${sourceDir}`);
  // The compiler's own folders stay out: -isystem /usr/include breaks libstdc++'s #include_next.
  for (const dir of torch.includeDirs) {
    if (!SYSTEM_INCLUDE_DIRS.includes(dir.replace(/\/+$/, ""))) args.push("-isystem", dir);
  }
  const rpath = [torch.libDir];
  if (torch.cuda) {
    args.push("-DTORCH_SHIM_CUDA=1", "-isystem", torch.cuda.includeDir);
    for (const dir of torch.cuda.extraIncludeDirs ?? []) args.push("-isystem", dir);
    rpath.push(torch.cuda.libDir);
  }
  args.push(`${sourceDir}/torch_api.cpp`, "-o", output, `-Wl,-soname,${output.split("/").pop()}`);
  args.push(`-L${torch.libDir}`);
  // --no-as-needed: the shim calls nothing of libtorch_cpu/libtorch_cuda by name in some builds,
  // yet they must load (they register the CPU and CUDA kernels).
  args.push("-Wl,--no-as-needed", "-ltorch", "-ltorch_cpu", "-lc10");
  if (torch.cuda) {
    args.push("-ltorch_cuda", "-lc10_cuda", `-L${torch.cuda.libDir}`, "-lcudart");
  }
  args.push("-Wl,--as-needed", `-Wl,-rpath,${rpath.join(":")}`);
  return args;
}

/** TORCH_CXX_FLAGS as TorchConfig.cmake sets them (empty when the file sets none). */
export function torchCxxFlags(torchConfig: string): string[] {
  const m = torchConfig.match(/set\(TORCH_CXX_FLAGS\s+"([^"]*)"\)/);
  return m ? m[1].split(/\s+/).filter((f) => f.length > 0) : [];
}

/**
 * The C++ standard libtorch's headers demand, from ATen/ATen.h's guard ("#error C++NN or later
 * compatible compiler is required to use ATen.": 14 in 1.13, 17 in 2.6, 20 in 2.14);
 * undefined when the header has no such line.
 */
export function torchCxxStandard(atenHeader: string): number | undefined {
  const m = atenHeader.match(/C\+\+(\d+) or later/);
  return m ? Number(m[1]) : undefined;
}

function readOrEmpty(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/**
 * Finds the libtorch that `cmakePrefix` names (a PyTorch wheel's `torch.utils.cmake_prefix_path`,
 * i.e. .../torch/share/cmake), or the system's (Debian's libtorch-dev) when it is empty.
 * The CUDA toolkit comes from CUDA_HOME, CUDA_PATH, the folder above `nvcc`, or /usr/local/cuda.
 */
export function discoverTorch(cmakePrefix: string, nvcc?: string): TorchLayout {
  let root: string, libDir: string, config: string;
  if (cmakePrefix) {
    const prefix = cmakePrefix.replace(/\/+$/, "");
    root = prefix.replace(/\/share\/cmake$/, "");
    if (root === prefix) root = `${prefix}/../..`;
    libDir = `${root}/lib`;
    config = `${prefix}/Torch/TorchConfig.cmake`;
  } else {
    root = "/usr";
    libDir = `/usr/lib/${Deno.build.arch}-linux-gnu`;
    config = `${libDir}/cmake/Torch/TorchConfig.cmake`;
  }
  const includeDirs = [`${root}/include`, `${root}/include/torch/csrc/api/include`];
  if (!existsSync(`${includeDirs[1]}/torch/torch.h`)) {
    throw new Error(
      `expected libtorch's C++ headers in ${includeDirs[1]}, found no torch/torch.h there`,
    );
  }
  const libs = ["libtorch.so", "libtorch_cpu.so", "libc10.so"];
  const missing = libs.filter((l) => !existsSync(`${libDir}/${l}`));
  if (missing.length > 0) {
    throw new Error(`expected ${libs.join(", ")} in ${libDir}, missing ${missing.join(", ")}`);
  }
  const layout: TorchLayout = {
    includeDirs,
    libDir,
    cxxFlags: torchCxxFlags(readOrEmpty(config)),
    cxxStandard: torchCxxStandard(readOrEmpty(`${includeDirs[0]}/ATen/ATen.h`)),
  };
  if (existsSync(`${libDir}/libtorch_cuda.so`)) {
    const env = Deno.env.get("CUDA_HOME") ?? Deno.env.get("CUDA_PATH");
    const fromNvcc = nvcc ? nvcc.replace(/\/bin\/nvcc$/, "") : undefined;
    const home = [env, fromNvcc, "/usr/local/cuda"].find((d) =>
      d && existsSync(`${d}/include/cuda_runtime_api.h`)
    );
    if (!home) {
      throw new Error(
        "expected a CUDA toolkit (cuda_runtime_api.h) for this CUDA libtorch in CUDA_HOME, " +
          "beside nvcc or in /usr/local/cuda; found none",
      );
    }
    const lib = [`${home}/lib64`, `${home}/lib`].find((d) => existsSync(`${d}/libcudart.so`)) ??
      `${home}/lib64`;
    layout.cuda = { includeDir: `${home}/include`, libDir: lib };
    // A wheel's CUDA libraries (cuBLAS, cuDNN, …) bring their headers, which a bare toolkit
    // (nvcc and the runtime only) lacks; ATen's CUDA headers include some of them.
    const nvidia = root.endsWith("/..")
      ? `${root}/../nvidia`
      : `${root.replace(/\/[^/]+$/, "")}/nvidia`;
    if (cmakePrefix && existsSync(nvidia)) {
      const extra = [...Deno.readDirSync(nvidia)].filter((e) => e.isDirectory)
        .map((e) => `${nvidia}/${e.name}/include`).filter((d) => existsSync(d)).sort();
      if (extra.length > 0) layout.cuda.extraIncludeDirs = extra;
    }
  }
  return layout;
}
