/**
 * Adam over a whole parameter list, one FFI call per step; equal to torch.optim.Adam.
 *
 * @module
 */
import { check, errSlot, lib } from "./library.ts";
import { handleList } from "./ops.ts";
import { Tensor } from "./tensor.ts";

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
}

const adamRegistry = new FinalizationRegistry<Deno.PointerObject>((p) => lib().ato_adam_free(p));

/** The Adam optimizer, state kept natively. */
export class Adam {
  #ptr: Deno.PointerObject | null;
  /** The parameters, in the order given. */
  readonly params: readonly Tensor[];

  /** Creates the optimizer over `params` (they must outlive it). */
  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    const [b1, b2] = options.betas ?? [0.9, 0.999];
    const p = lib().ato_adam_new(
      handleList(params),
      BigInt(params.length),
      options.lr ?? 1e-3,
      b1,
      b2,
      options.eps ?? 1e-8,
      options.weightDecay ?? 0,
      errSlot,
    );
    check();
    if (p === null) throw new Error("ato_adam_new returned no optimizer");
    this.#ptr = p;
    this.params = params;
    adamRegistry.register(this, p, this);
  }

  #handle(): Deno.PointerObject {
    if (this.#ptr === null) throw new Error("Adam used after dispose(): expected a live optimizer");
    return this.#ptr;
  }

  /** Updates every parameter that has a gradient. */
  step(): void {
    lib().ato_adam_step(this.#handle(), errSlot);
    check();
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    lib().ato_adam_zero_grad(this.#handle(), errSlot);
    check();
  }

  /** Steps taken so far. */
  get stepCount(): number {
    const n = Number(lib().ato_adam_step_count(this.#handle(), errSlot));
    check();
    return n;
  }

  /** Restores the step counter (checkpoints). */
  set stepCount(n: number) {
    lib().ato_adam_set_step_count(this.#handle(), BigInt(n), errSlot);
    check();
  }

  /** Parameter i's first (which 0, exp_avg) or second (which 1, exp_avg_sq) moment; shares storage. */
  state(i: number, which: 0 | 1): Tensor {
    return new Tensor(lib().ato_adam_state(this.#handle(), BigInt(i), which, errSlot));
  }

  /** Changes the learning rate. */
  setLr(lr: number): void {
    lib().ato_adam_set_lr(this.#handle(), lr, errSlot);
    check();
  }

  /** Frees the native optimizer. Idempotent. */
  dispose(): void {
    if (this.#ptr === null) return;
    adamRegistry.unregister(this);
    lib().ato_adam_free(this.#ptr);
    this.#ptr = null;
  }

  /** Frees the optimizer at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
