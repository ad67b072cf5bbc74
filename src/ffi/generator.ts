/**
 * A CPU random generator of its own, apart from libtorch's default one, as Python's
 * `torch.Generator().manual_seed(seed)`: the data order draws its permutations from it, so model
 * initialisation and dropout (the default generator) draw exactly what PyTorch's draw.
 *
 * @module
 */
import { NativeHandle } from "./handle.ts";
import { check, errSlot, lib } from "./library.ts";
import { TorchError } from "./error.ts";
import { Tensor } from "./tensor.ts";

/** A seeded CPU generator; `randperm` is `torch.randperm(n, generator=g)`. */
export class Generator extends NativeHandle {
  /** A fresh CPU generator seeded with `seed` (a non-negative integer). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new TypeError(`Generator seed: expected a non-negative integer, found ${seed}`);
    }
    const p = lib().atgen_new(BigInt(seed), errSlot);
    check();
    if (p === null) throw new TorchError("generator: the shim returned no generator");
    super(p, lib().atgen_free, "Generator");
  }

  /** A random permutation of 0..n-1, an int64 CPU tensor; advances the generator. */
  randperm(n: number): Tensor {
    return new Tensor(lib().atgen_randperm(this.handle, BigInt(n), errSlot));
  }

  /** The generator's state, a uint8 CPU tensor (`g.get_state()`). */
  state(): Tensor {
    return new Tensor(lib().atgen_state(this.handle, errSlot));
  }

  /** Restores a state from {@linkcode Generator.state} (`g.set_state(state)`). */
  setState(state: Tensor): void {
    lib().atgen_set_state(this.handle, state.ptr, errSlot);
    check();
  }
}
