/**
 * CUDA graphs: capture a whole training step once, replay it per batch.
 *
 * @module
 */
import { check, errSlot, lib } from "./library.ts";
import { TorchError } from "./error.ts";

/** Whether the loaded shim was built with CUDA graph support. */
export function cudaGraphsSupported(): boolean {
  return lib().atg_supported() === 1;
}

/** A captured CUDA graph. */
export class CudaGraph {
  #ptr: Deno.PointerObject | null;

  /** Creates an empty graph; throws a TorchError without CUDA. */
  constructor() {
    const p = lib().atg_new(errSlot);
    check();
    if (p === null) throw new TorchError("cuda graph: the shim returned no graph");
    this.#ptr = p;
  }

  #handle(): Deno.PointerObject {
    if (this.#ptr === null) throw new TorchError("cuda graph used after dispose()");
    return this.#ptr;
  }

  /** Runs fn while capturing the CUDA work it queues; tensors it makes stay valid for replay. */
  capture<T>(fn: () => T): T {
    lib().atg_capture_begin(this.#handle(), errSlot);
    check();
    let result: T;
    try {
      result = fn();
    } finally {
      lib().atg_capture_end(this.#handle(), errSlot);
    }
    check();
    return result;
  }

  /** Replays the captured work. */
  replay(): void {
    lib().atg_replay(this.#handle(), errSlot);
    check();
  }

  /** Frees the graph. Idempotent. */
  dispose(): void {
    if (this.#ptr === null) return;
    lib().atg_free(this.#ptr);
    this.#ptr = null;
  }

  /** Frees the graph at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
