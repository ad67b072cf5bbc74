/**
 * The seed's Inception block as data: four branches concatenated on the channel axis, with ReLU
 * only between a branch's 1x1 reduce and its 3x3/5x5 conv (no ReLU on branch outputs). Its input
 * channels come from the stage before it.
 *
 * @module
 */
import { type ConcatSpec, conv, type LayerSpec, maxPool, sequential } from "./spec.ts";

/**
 * Output channels of one Inception block's convs: torchvision's argument order, less the input
 * channels (branch 4's 1x1 conv after a 3x3 max-pool is `poolProj`).
 */
export type InceptionChannels = readonly [
  out1x1: number,
  reduce3x3: number,
  out3x3: number,
  reduce5x5: number,
  out5x5: number,
  poolProj: number,
];

/**
 * The branch table: a branch of one layer is registered under the branch's name (`branch1.weight`),
 * a longer one is an nn.Sequential whose children are named by index (`branch2.2.weight`; index 1
 * is the ReLU).
 */
function branches(channels: InceptionChannels): [string, LayerSpec][] {
  const [out1x1, reduce3x3, out3x3, reduce5x5, out5x5, poolProj] = channels;
  const relu: LayerSpec = { kind: "relu" };
  return [
    ["branch1", conv(out1x1, 1)],
    ["branch2", sequential(conv(reduce3x3, 1), relu, conv(out3x3, 3, { padding: 1 }))],
    ["branch3", sequential(conv(reduce5x5, 1), relu, conv(out5x5, 5, { padding: 2 }))],
    ["branch4", sequential(maxPool(3, { stride: 1, padding: 1 }), conv(poolProj, 1))],
  ];
}

/** An Inception block's spec: N x in x H x W → N x (out1x1 + out3x3 + out5x5 + poolProj) x H x W. */
export function inception(channels: InceptionChannels): ConcatSpec {
  return { kind: "concat", branches: branches(channels) };
}
