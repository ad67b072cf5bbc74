/**
 * The seed's GoogLeNet as a module, built from its stage table (src/model/architecture.ts).
 *
 * @module
 */
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
}
