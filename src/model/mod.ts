/**
 * The seed's GoogLeNet composed from layer classes over the FFI layer.
 *
 * @module
 */
export * from "./layers.ts";
export * from "./inception.ts";
export * from "./googlenet.ts";
export * from "./safetensors.ts";
export * from "./weights.ts";
