/** An error raised by libtorch (or by the shim's argument checks), carrying libtorch's message. */
export class TorchError extends Error {
  /** Creates a TorchError with libtorch's message. */
  constructor(message: string) {
    super(message);
    this.name = "TorchError";
  }
}

/** The shim library could not be found or loaded. */
export class ShimNotFoundError extends Error {
  /** Creates the error with the paths that were tried and the command that builds the shim. */
  constructor(message: string) {
    super(message);
    this.name = "ShimNotFoundError";
  }
}
