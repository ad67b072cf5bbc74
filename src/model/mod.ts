/**
 * The seed's GoogLeNet as data: a stage table (architecture.ts) read by the module classes, by the
 * pure geometry (and the FLOPs of a training step, flops.ts), and by the weight-file check.
 *
 * @module
 */
export * from "./spec.ts";
export * from "./inception.ts";
export * from "./architecture.ts";
export * from "./module.ts";
export * from "./layers.ts";
export * from "./containers.ts";
export * from "./build.ts";
export * from "./googlenet.ts";
export * from "./safetensors.ts";
export * from "./weights.ts";
export * from "./flops.ts";
