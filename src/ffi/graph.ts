/**
 * CUDA graphs: capture a whole training step once, replay it per batch.
 *
 * @module
 */
import { NativeHandle } from "./handle.ts";
import { check, errSlot, lib } from "./library.ts";
import { TorchError } from "./error.ts";

/** One of the shim's `atg_*(graph, err)` calls. */
type GraphCall = (g: Deno.PointerValue, err: BufferSource) => void;

/** Whether the loaded shim was built with CUDA graph support. */
export function cudaGraphsSupported(): boolean {
  return lib().atg_supported() === 1;
}

/**
 * A CUDA graph with its own side stream, used as torch.cuda.graphs' whole-network recipe:
 * warm-up steps inside {@linkcode CudaGraph.onSideStream}, one {@linkcode CudaGraph.capture},
 * then {@linkcode CudaGraph.replay} per batch. The captured work must not read anything on the
 * host (no item(), no shape changes); tensors made during capture may be disposed afterwards,
 * their memory stays in the graph's private pool.
 */
export class CudaGraph extends NativeHandle {
  /** Creates an empty graph; throws a TorchError without CUDA. */
  constructor() {
    const p = lib().atg_new(errSlot);
    check();
    if (p === null) throw new TorchError("cuda graph: the shim returned no graph");
    super(p, lib().atg_free, "CudaGraph");
  }

  /** Runs fn with the graph's side stream current (a device sync before and after). */
  onSideStream<T>(fn: () => T): T {
    return this.#between(lib().atg_stream_enter, lib().atg_stream_exit, fn);
  }

  /** Runs fn while capturing the CUDA work it queues on the side stream (nothing executes yet). */
  capture<T>(fn: () => T): T {
    return this.#between(lib().atg_capture_begin, lib().atg_capture_end, fn);
  }

  // open(); fn(); close() — close runs even when fn throws, and fn's error wins over close's.
  #between<T>(
    open: GraphCall,
    close: GraphCall,
    fn: () => T,
  ): T {
    open(this.handle, errSlot);
    check();
    let result: T;
    try {
      result = fn();
    } finally {
      close(this.handle, errSlot);
    }
    check();
    return result;
  }

  /** Replays the captured work. */
  replay(): void {
    lib().atg_replay(this.handle, errSlot);
    check();
  }
}
