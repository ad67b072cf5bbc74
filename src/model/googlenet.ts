/**
 * The seed's GoogLeNet as a module, built from its stage table (src/model/architecture.ts).
 *
 * @module
 */
import { type LayerGeometry, layerGeometry } from "../bench/flops.ts";
import { traceGoogLeNet } from "./architecture.ts";
import { buildChildren } from "./build.ts";
import { Sequential } from "./containers.ts";
import { Linear } from "./layers.ts";

/**
 * The seed's GoogLeNet: the stages of the table `GOOGLENET` (architecture.ts) in order, parameters under the seed
 * module's state_dict names (conv1.weight, …, inception3a.branch2.0.weight, …, fc.bias).
 */
export class GoogLeNet extends Sequential {
  /** Builds the model; parameters are drawn in the seed's construction order. */
  constructor() {
    super(buildChildren(traceGoogLeNet()));
  }

  /** The classifier. */
  get fc(): Linear {
    return this.child("fc", Linear);
  }

  /**
   * Geometry of every conv and linear layer for a square input, for FLOP counting.
   *
   * @deprecated Use `googlenetLayers` from src/bench/flops.ts, which needs no model.
   */
  layerGeometry(inputSize = 28): LayerGeometry[] {
    return layerGeometry(traceGoogLeNet(inputSize));
  }
}
