/**
 * The TypeScript side of the torch shim: tensors, ops, autograd, Adam, runtime, generators, CUDA
 * graphs and c10d process groups.
 *
 * ```ts
 * import { fromHost, relu, scope, toHost } from "./mod.ts";
 * const y = scope(() => toHost(relu(fromHost(new Float32Array([-1, 2]), [2]))));
 * ```
 *
 * @module
 */
export * from "./error.ts";
export { BUILD_COMMAND, countFfiCalls, lib, type Shim, shimCandidates } from "./library.ts";
export { symbols } from "./symbols.ts";
export * from "./handle.ts";
export * from "./tensor.ts";
export * from "./create.ts";
export * from "./ops.ts";
export * from "./autograd.ts";
export * from "./adam.ts";
export * from "./runtime.ts";
export * from "./graph.ts";
export * from "./serialize.ts";
export * from "./generator.ts";
export * from "./dist.ts";
