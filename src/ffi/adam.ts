/**
 * Adam over a whole parameter list, one FFI call per step; equal to torch.optim.Adam.
 *
 * @module
 */
import { NativeHandle } from "./handle.ts";
import { check, errSlot, lib } from "./library.ts";
import { handleList } from "./ops.ts";
import { Tensor } from "./tensor.ts";

/**
 * Which kernels an {@linkcode Adam} step runs, as torch.optim.Adam's `foreach`/`fused` switches:
 * `"single"` a few kernels per parameter, `"foreach"` multi-tensor kernels over the whole list,
 * `"fused"` one fused kernel (CUDA, or the CPU from libtorch 2.4). Same arithmetic in all three.
 */
export type AdamImpl = "single" | "foreach" | "fused";

/** The implementations, in the shim's code order. */
export const ADAM_IMPLS: readonly AdamImpl[] = ["single", "foreach", "fused"];

/** Hyper-parameters of {@linkcode Adam}; the defaults are torch.optim.Adam's. */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moments (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Kernels to use (default `"single"`). */
  impl?: AdamImpl;
}

/** The Adam optimizer, state kept natively. */
export class Adam extends NativeHandle {
  /** The parameters, in the order given. */
  readonly params: readonly Tensor[];

  /** Creates the optimizer over `params` (they must outlive it). */
  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    const [b1, b2] = options.betas ?? [0.9, 0.999];
    const impl = ADAM_IMPLS.indexOf(options.impl ?? "single");
    if (impl < 0) {
      throw new TypeError(
        `Adam impl: expected one of ${ADAM_IMPLS.join(", ")}, found ${options.impl}`,
      );
    }
    const p = lib().ato_adam_new(
      handleList(params),
      BigInt(params.length),
      options.lr ?? 1e-3,
      b1,
      b2,
      options.eps ?? 1e-8,
      options.weightDecay ?? 0,
      impl,
      errSlot,
    );
    check();
    if (p === null) throw new Error("ato_adam_new returned no optimizer");
    super(p, lib().ato_adam_free, "Adam");
    this.params = params;
  }

  /**
   * Makes the parameters fp32 masters of `copies` (bf16-pure training): the model computes with
   * the copies, which hold the gradients; each step widens a copy's gradient, updates its master
   * with it and narrows the master back into the copy, and {@linkcode Adam.zeroGrad} drops the
   * copies' gradients. One copy per parameter, of its shape and device; refreshed at once. The
   * copies must outlive the optimizer.
   */
  attachCopies(copies: readonly Tensor[]): void {
    lib().ato_adam_attach_copies(
      this.handle,
      handleList(copies),
      BigInt(copies.length),
      errSlot,
    );
    check();
  }

  /** Narrows every master into its copy again (after masters were loaded or restored). */
  refreshCopies(): void {
    lib().ato_adam_refresh_copies(this.handle, errSlot);
    check();
  }

  /** Updates every parameter that has a gradient. */
  step(): void {
    lib().ato_adam_step(this.handle, errSlot);
    check();
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    lib().ato_adam_zero_grad(this.handle, errSlot);
    check();
  }

  /** The kernels this optimizer runs. */
  get impl(): AdamImpl {
    const code = lib().ato_adam_impl(this.handle, errSlot);
    check();
    return ADAM_IMPLS[code];
  }

  /** Steps taken so far (read from the device on CUDA, where graph replays advance it). */
  get stepCount(): number {
    const n = Number(lib().ato_adam_step_count(this.handle, errSlot));
    check();
    return n;
  }

  /** Restores the step counter (checkpoints). */
  set stepCount(n: number) {
    lib().ato_adam_set_step_count(this.handle, BigInt(n), errSlot);
    check();
  }

  /** Parameter i's first (which 0, exp_avg) or second (which 1, exp_avg_sq) moment; shares storage. */
  state(i: number, which: 0 | 1): Tensor {
    return new Tensor(lib().ato_adam_state(this.handle, BigInt(i), which, errSlot));
  }

  /**
   * Changes the learning rate for the steps that follow. A step already captured in a CUDA graph
   * keeps the rate it was captured with (the kernels take it as a scalar argument): capture anew
   * after changing it. The benchmark never changes it (the seed's recipe has a fixed rate).
   */
  setLr(lr: number): void {
    lib().ato_adam_set_lr(this.handle, lr, errSlot);
    check();
  }
}
