/**
 * Modules made of named children: Sequential (one after another) and Concat (the same input to
 * every branch, outputs concatenated on the channel axis).
 *
 * @module
 */
import {
  branches,
  type BranchOp,
  cat,
  contiguous,
  type DType,
  type MemoryFormat,
  type Tensor,
  to,
} from "../ffi/mod.ts";
import { Module } from "./module.ts";

function castTo(x: Tensor, dtype: DType | null): Tensor {
  return dtype === null || x.dtype === dtype ? x : to(x, x.device, dtype);
}

function layOut(x: Tensor, format: MemoryFormat | null): Tensor {
  return format === null || x.shape.length !== 4 ? x : contiguous(x, format);
}

/** nn.Sequential with named children: each child's output is the next one's input. */
export class Sequential extends Module {
  /** Registers the children in order (construct them in order: they draw their initial weights). */
  constructor(children: Iterable<[string, Module]>) {
    super();
    for (const [name, child] of children) this.registerModule(name, child);
  }

  /**
   * The last child's output, each child's input cast to its compute dtype where it has one
   * (a model computing in two precisions) and laid out in its input format where it has one.
   * Free intermediates with a scope around the call.
   */
  forward(x: Tensor): Tensor {
    return this.namedChildren().reduce(
      (h, [, c]) => c.forward(layOut(castTo(h, c.computeDType), c.inputFormat)),
      x,
    );
  }

  /** The children's ops in order, or null when one has no branch form. */
  override branchOps(): BranchOp[] | null {
    const ops: BranchOp[] = [];
    for (const [, child] of this.namedChildren()) {
      const own = child.branchOps();
      if (own === null) return null;
      ops.push(...own);
    }
    return ops;
  }
}

/**
 * Branches applied to the same input, their outputs concatenated on the channel axis: one after
 * another, or concurrently in one native call ({@linkcode Module.setConcurrentBranches}) when
 * every branch has a branch form.
 */
export class Concat extends Module {
  #concurrent = false;

  /** Registers the branches in order. */
  constructor(branches: Iterable<[string, Module]>) {
    super();
    for (const [name, branch] of branches) this.registerModule(name, branch);
  }

  /** N x C x H x W → N x (sum of the branches' channels) x H x W. */
  forward(x: Tensor): Tensor {
    const list = this.#concurrent ? this.#branchList() : null;
    if (list !== null) return branches(x, list, { concurrent: true });
    return cat(this.namedChildren().map(([, branch]) => branch.forward(x)), 1);
  }

  #branchList(): BranchOp[][] | null {
    const list = this.namedChildren().map(([, branch]) => branch.branchOps());
    return list.every((ops) => ops !== null) ? list as BranchOp[][] : null;
  }

  /** Runs this block's branches concurrently (true) or one after another (false). */
  override setConcurrentBranches(on: boolean): void {
    this.#concurrent = on;
    super.setConcurrentBranches(on);
  }
}
