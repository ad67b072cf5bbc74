/**
 * Modules made of named children: Sequential (one after another) and Concat (the same input to
 * every branch, outputs concatenated on the channel axis).
 *
 * @module
 */
import { cat, type Tensor } from "../ffi/mod.ts";
import { Module } from "./module.ts";

/** nn.Sequential with named children: each child's output is the next one's input. */
export class Sequential extends Module {
  /** Registers the children in order (construct them in order: they draw their initial weights). */
  constructor(children: Iterable<[string, Module]>) {
    super();
    for (const [name, child] of children) this.registerModule(name, child);
  }

  /** The last child's output. Free intermediates with a scope around the call. */
  forward(x: Tensor): Tensor {
    return this.namedChildren().reduce((h, [, child]) => child.forward(h), x);
  }
}

/** Branches applied to the same input, their outputs concatenated on the channel axis. */
export class Concat extends Module {
  /** Registers the branches in order. */
  constructor(branches: Iterable<[string, Module]>) {
    super();
    for (const [name, branch] of branches) this.registerModule(name, branch);
  }

  /** N x C x H x W → N x (sum of the branches' channels) x H x W. */
  forward(x: Tensor): Tensor {
    return cat(this.namedChildren().map(([, branch]) => branch.forward(x)), 1);
  }
}
