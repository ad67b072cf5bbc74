/**
 * The ownership of one native object (an optimizer, a CUDA graph) by one TypeScript object:
 * freed by dispose(), at the end of a `using` block, or, as a backstop when neither ran, once
 * the owner is garbage-collected.
 *
 * @module
 */

/** What the backstop frees: the native pointer and the shim function that frees it. */
interface Held {
  ptr: Deno.PointerObject;
  free: (p: Deno.PointerObject) => void;
}

const backstop = new FinalizationRegistry<Held>(({ ptr, free }) => free(ptr));

/** A native object owned by this one; subclasses reach it through {@linkcode NativeHandle.handle}. */
export abstract class NativeHandle {
  #held: Held | null;
  readonly #what: string;

  /**
   * Takes ownership of `ptr`, which `free` releases; `what` names the object in errors
   * ("Adam", "CudaGraph").
   */
  protected constructor(
    ptr: Deno.PointerObject,
    free: (p: Deno.PointerObject) => void,
    what: string,
  ) {
    this.#held = { ptr, free };
    this.#what = what;
    backstop.register(this, this.#held, this);
  }

  /** The native pointer; throws once dispose() has run. */
  protected get handle(): Deno.PointerObject {
    if (this.#held === null) {
      throw new Error(`${this.#what} used after dispose(): expected a live ${this.#what}`);
    }
    return this.#held.ptr;
  }

  /** Whether dispose() has run. */
  get disposed(): boolean {
    return this.#held === null;
  }

  /** Frees the native object now. Idempotent. */
  dispose(): void {
    if (this.#held === null) return;
    backstop.unregister(this);
    this.#held.free(this.#held.ptr);
    this.#held = null;
  }

  /** Frees the native object at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
