/**
 * Where a libtorch lives and how the shim is built against it: the cache variables
 * scripts/setup.ts passes to native/CMakeLists.txt, found without Torch's CMake config (a wheel's
 * CUDA config demands a toolkit layout, and from CUDA 12.9 a CUDA::nvToolsExt target, that a
 * machine may lack). Two layouts: Debian's libtorch-dev (/usr/include, /usr/lib/<arch>-linux-gnu)
 * and a PyTorch wheel (`torch.__path__[0]` with include/, lib/, share/cmake/Torch/, and its CUDA
 * libraries in the sibling site-packages/nvidia/*).
 *
 * @module
 */
import { existsSync } from "node:fs";

/** One libtorch, as the compiler and linker need it. */
export interface TorchLayout {
  /** Header folders: the one holding ATen/, then the C++ API's. */
  includeDirs: string[];
  /** The folder holding libtorch.so, libtorch_cpu.so and libc10.so. */
  libDir: string;
  /** The libraries to link, by name (torch, torch_cpu, c10; torch_cuda, c10_cuda with CUDA). */
  libs: string[];
  /** The C++ standard ATen's headers demand, at least the shim's own 17. */
  cxxStandard: number;
  /** _GLIBCXX_USE_CXX11_ABI from TorchConfig.cmake's TORCH_CXX_FLAGS; absent when it sets none. */
  cxx11Abi?: number;
  /** Present when the libtorch is a CUDA build (libtorch_cuda.so beside libtorch.so). */
  cuda?: {
    /** The folder holding cuda_runtime_api.h first, then a wheel's nvidia/<lib>/include. */
    includeDirs: string[];
    /** The CUDA runtime to link by its soname (libcudart.so.N); absent: libc10_cuda loads it. */
    cudart?: string;
  };
}

/** Where {@linkcode discoverTorch} looks. */
export interface DiscoverOptions {
  /** A wheel's torch package folder; absent: Debian's libtorch-dev in `system`. */
  torchDir?: string;
  /** Debian's folders (default /usr/include and /usr/lib/<arch>-linux-gnu). */
  system?: { includeDir: string; libDir: string };
  /** CUDA_HOME, CUDA_PATH and PATH (default: the process's environment). */
  env?: Record<string, string | undefined>;
  /** The folder whose cuda, cuda-* children are toolkits (default /usr/local). */
  toolkitsIn?: string;
}

/** The shim's own C++ standard. */
const MIN_CXX_STANDARD = 17;
const CPU_LIBS = ["torch", "torch_cpu", "c10"];
const CUDA_LIBS = ["torch_cuda", "c10_cuda"];

/** The C++ standard ATen.h demands ("C++NN or later": 14 in 1.13, 17 in 2.6, 20 in 2.14). */
export function torchCxxStandard(atenHeader: string): number {
  const m = atenHeader.match(/C\+\+(\d+) or later/);
  return Math.max(MIN_CXX_STANDARD, m ? Number(m[1]) : 0);
}

/** _GLIBCXX_USE_CXX11_ABI as TorchConfig.cmake's TORCH_CXX_FLAGS sets it, if it does. */
export function torchCxx11Abi(torchConfig: string): number | undefined {
  const m = torchConfig.match(/-D_GLIBCXX_USE_CXX11_ABI=([01])/);
  return m ? Number(m[1]) : undefined;
}

function read(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** The paths of `dir`'s entries (only folders with `folders`), sorted; none if it is unreadable. */
function entries(dir: string, folders?: "folders"): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => !folders || e.isDirectory || e.isSymlink)
      .map((e) => `${dir}/${e.name}`).sort();
  } catch {
    return [];
  }
}

/** Finds the libtorch `options` names and what building against it takes. */
export function discoverTorch(options: DiscoverOptions = {}): TorchLayout {
  const wheel = options.torchDir?.replace(/\/+$/, "");
  const system = options.system ??
    { includeDir: "/usr/include", libDir: `/usr/lib/${Deno.build.arch}-linux-gnu` };
  const include = wheel ? `${wheel}/include` : system.includeDir;
  const libDir = wheel ? `${wheel}/lib` : system.libDir;
  const config = wheel ? `${wheel}/share/cmake` : `${libDir}/cmake`;
  const includeDirs = [include, `${include}/torch/csrc/api/include`];
  if (!existsSync(`${includeDirs[1]}/torch/torch.h`)) {
    throw new Error(
      `expected libtorch's C++ headers in ${includeDirs[1]}, found no torch/torch.h there`,
    );
  }
  const cuda = existsSync(`${libDir}/libtorch_cuda.so`);
  const libs = cuda ? [...CPU_LIBS, ...CUDA_LIBS] : CPU_LIBS;
  const missing = libs.filter((l) => !existsSync(`${libDir}/lib${l}.so`));
  if (missing.length > 0) {
    throw new Error(
      `expected ${libs.map((l) => `lib${l}.so`).join(", ")} in ${libDir}, ` +
        `missing ${missing.map((l) => `lib${l}.so`).join(", ")}`,
    );
  }
  const layout: TorchLayout = {
    includeDirs,
    libDir,
    libs,
    cxxStandard: torchCxxStandard(read(`${include}/ATen/ATen.h`)),
    cxx11Abi: torchCxx11Abi(read(`${config}/Torch/TorchConfig.cmake`)),
  };
  if (cuda) layout.cuda = discoverCuda(wheel, options);
  return layout;
}

/**
 * The CUDA headers and runtime for a CUDA libtorch. cuda_runtime_api.h is looked for in
 * CUDA_HOME, CUDA_PATH, then the wheel's own site-packages/nvidia/** (the headers of the runtime
 * that torch loads), then beside nvcc on PATH and in /usr/local/cuda*; none found fails at once,
 * naming every folder searched.
 */
function discoverCuda(wheel: string | undefined, options: DiscoverOptions): TorchLayout["cuda"] {
  const env = options.env ?? Deno.env.toObject();
  const nvidia = wheel ? entries(`${wheel.replace(/\/[^/]+$/, "")}/nvidia`, "folders") : [];
  const nvcc = (env.PATH ?? "").split(":").filter((d) => d && existsSync(`${d}/nvcc`))
    .map((d) => Deno.realPathSync(`${d}/nvcc`).replace(/\/bin\/nvcc$/, ""));
  const toolkits = entries(options.toolkitsIn ?? "/usr/local", "folders")
    .filter((d) => /\/cuda(-[\d.]+)?$/.test(d)).reverse();
  const homes = [env.CUDA_HOME, env.CUDA_PATH, ...nvidia, ...nvcc, ...toolkits]
    .filter((d): d is string => !!d);
  const home = homes.find((d) => existsSync(`${d}/include/cuda_runtime_api.h`));
  if (home === undefined) {
    throw new Error(
      "expected the CUDA runtime's headers (include/cuda_runtime_api.h) for this CUDA libtorch " +
        `in one of: ${homes.join(", ") || "(no candidate folder)"}; found none ` +
        "(set CUDA_HOME, or install the wheel's nvidia-cuda-runtime headers)",
    );
  }
  // ATen's CUDA headers include cuBLAS', cuSPARSE's … headers: a wheel ships them per library.
  const extra = nvidia.map((d) => `${d}/include`).filter((d) => existsSync(d));
  const includeDirs = [...new Set([`${home}/include`, ...extra])];
  const libDirs = [`${home}/lib`, `${home}/lib64`, ...nvidia.map((d) => `${d}/lib`)];
  const cudart =
    libDirs.flatMap((d) => entries(d).filter((p) => /\/libcudart\.so\.\d+$/.test(p)))[0];
  return cudart ? { includeDirs, cudart } : { includeDirs };
}

/** The -D arguments native/CMakeLists.txt takes for `torch`. */
export function cmakeArgs(torch: TorchLayout): string[] {
  return [
    `-DSHIM_TORCH_INCLUDE_DIRS=${torch.includeDirs.join(";")}`,
    `-DSHIM_TORCH_LIB_DIR=${torch.libDir}`,
    `-DSHIM_TORCH_LIBS=${torch.libs.join(";")}`,
    `-DSHIM_CXX_STANDARD=${torch.cxxStandard}`,
    `-DSHIM_CXX11_ABI=${torch.cxx11Abi ?? ""}`,
    `-DSHIM_CUDA=${torch.cuda ? "ON" : "OFF"}`,
    `-DSHIM_CUDA_INCLUDE_DIRS=${torch.cuda?.includeDirs.join(";") ?? ""}`,
    `-DSHIM_CUDART=${torch.cuda?.cudart ?? ""}`,
  ];
}
