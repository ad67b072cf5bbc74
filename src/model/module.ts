/**
 * The base of every layer and model: parameters and children registered by name, in order, as
 * PyTorch's nn.Module does, so state_dict names, parameter order, device placement, counting and
 * freeing are written once here instead of per layer.
 *
 * @module
 */
import {
  type BranchOp,
  contiguous,
  type Device,
  type DType,
  keep,
  type MemoryFormat,
  noGrad,
  scope,
  setRequiresGrad,
  type Tensor,
  to,
} from "../ffi/mod.ts";

/** Where {@linkcode Module.to} puts a module: a device, and the memory format of 4-D weights. */
export interface PlacementOptions {
  /** Layout of conv weights (default `"contiguous"`, NCHW); `"channels_last"` is NHWC. */
  memoryFormat?: MemoryFormat;
}

/** A new leaf: `p` on `device` (in `dtype`), 4-D weights in `format`. */
function placed(p: Tensor, device: Device, o: { format?: MemoryFormat; dtype?: DType }): Tensor {
  const format = o.format ?? "contiguous";
  return setRequiresGrad(keep(noGrad(() =>
    scope(() => {
      const m = to(p, device, o.dtype);
      return format !== "contiguous" && p.shape.length === 4 ? contiguous(m, format) : m;
    })
  )));
}

function moveParameter(p: Tensor, device: Device, format: MemoryFormat = "contiguous"): Tensor {
  const moved = placed(p, device, { format });
  p.dispose();
  return moved;
}

/** A layer or a model: its own parameters, then its children, each under a name, in order. */
export abstract class Module {
  readonly #parameters = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();
  /** Low-precision copies of the parameters that forward computes with (bf16-pure), by name. */
  readonly #copies = new Map<string, Tensor>();
  #computeDType: DType | null = null;
  #inputFormat: MemoryFormat | null = null;
  #training = true;

  /** The module's output for a batch. */
  abstract forward(x: Tensor): Tensor;

  /** Registers a parameter under `name` (after the ones registered before it). */
  protected registerParameter(name: string, t: Tensor): Tensor {
    if (this.#parameters.has(name)) throw new Error(`parameter ${name}: already registered`);
    this.#parameters.set(name, t);
    return t;
  }

  /** Registers a child module under `name` (after the ones registered before it). */
  protected registerModule<M extends Module>(name: string, child: M): M {
    if (this.#children.has(name)) throw new Error(`module ${name}: already registered`);
    child.training = this.#training;
    this.#children.set(name, child);
    return child;
  }

  /** This module's own parameter `name` as forward uses it: its compute copy when it has one. */
  protected parameter(name: string): Tensor {
    const t = this.#copies.get(name) ?? this.#parameters.get(name);
    if (t === undefined) {
      throw new Error(
        `expected a parameter named ${name}, found only ${[...this.#parameters.keys()].join(", ")}`,
      );
    }
    return t;
  }

  /** The children under their names, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.#children];
  }

  /** The child `name`, checked to be a `type`. */
  child<M extends Module>(name: string, type: abstract new (...args: never[]) => M): M {
    const c = this.#children.get(name);
    if (!(c instanceof type)) {
      throw new Error(
        `expected a ${type.name} child named ${name}, found ${c?.constructor.name ?? "none"}`,
      );
    }
    return c;
  }

  /**
   * Puts `child` in the place of the child `name` (as assigning `model.name = child` does in
   * PyTorch); the replaced child is freed.
   */
  replace(name: string, child: Module): void {
    const old = this.#children.get(name);
    if (old === undefined) {
      throw new Error(
        `expected a child named ${name}, found only ${[...this.#children.keys()].join(", ")}`,
      );
    }
    old.dispose();
    child.training = this.#training;
    this.#children.set(name, child);
  }

  /**
   * This module's forward as the ops of a native branch program (ops' `branches`), or null when
   * it has no such form (the default); the tensors are those forward would use.
   */
  branchOps(): BranchOp[] | null {
    return null;
  }

  /**
   * Makes every concat block below run its branches concurrently (true) or one after another
   * (false, the default), as `--inception-branches` says.
   */
  setConcurrentBranches(on: boolean): void {
    for (const c of this.#children.values()) c.setConcurrentBranches(on);
  }

  /** Whether dropout is active; setting it sets every descendant, as nn.Module.train() does. */
  get training(): boolean {
    return this.#training;
  }

  set training(mode: boolean) {
    this.#training = mode;
    for (const c of this.#children.values()) c.training = mode;
  }

  /** Parameters under their state_dict names (own first, then each child's), in registration order. */
  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, t] of this.#parameters) out.push([`${prefix}${name}`, t]);
    for (const [name, c] of this.#children) out.push(...c.namedParameters(`${prefix}${name}.`));
    return out;
  }

  /** All parameters, in state_dict order. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Total number of parameter elements. */
  parameterCount(): number {
    return this.parameters().reduce((n, t) => n + t.numel, 0);
  }

  /**
   * Moves every parameter to a device, 4-D weights to `options.memoryFormat` (channels_last for
   * NHWC kernels); makes new leaf tensors, so build optimizers afterwards.
   */
  to(device: Device, options: PlacementOptions = {}): this {
    for (const [name, t] of this.#parameters) {
      this.#parameters.set(name, moveParameter(t, device, options.memoryFormat));
    }
    for (const c of this.#children.values()) c.to(device, options);
    return this;
  }

  /**
   * Makes forward compute in `dtype`: every parameter not already in `dtype` gets a compute copy
   * in it (4-D weights in `options.memoryFormat`), a new leaf that requires grad, which forward
   * then uses in place of the parameter, so no weight is cast per op; and a container casts this
   * module's input to `dtype` ({@linkcode Module.computeDType}). The parameters stay as they are
   * (the fp32 masters an optimizer updates; see Adam.attachCopies). Replaces copies made before.
   *
   * @returns The tensors forward computes with, in state_dict order (a copy, or the parameter
   * itself when it is already in `dtype`); the module frees the copies.
   */
  makeComputeCopies(dtype: DType, options: PlacementOptions = {}): Tensor[] {
    this.#computeDType = dtype; // here only: the input is cast once, where this module begins
    this.#copyParameters(dtype, options);
    return this.computeParameters();
  }

  #copyParameters(dtype: DType, options: PlacementOptions): void {
    for (const [name, t] of this.#parameters) {
      this.#copies.get(name)?.dispose();
      this.#copies.delete(name);
      if (t.dtype !== dtype) {
        this.#copies.set(name, placed(t, t.device, { format: options.memoryFormat, dtype }));
      }
    }
    for (const c of this.#children.values()) c.#copyParameters(dtype, options);
  }

  /** The dtype forward computes in, set by {@linkcode Module.makeComputeCopies}; null: as given. */
  get computeDType(): DType | null {
    return this.#computeDType;
  }

  /**
   * The layout a container gives this module's 4-D input before its forward, or null (the
   * default): as it comes. Set where a per-stage plan changes layout between two stages.
   */
  get inputFormat(): MemoryFormat | null {
    return this.#inputFormat;
  }

  /** Sets {@linkcode Module.inputFormat}. */
  setInputFormat(format: MemoryFormat | null): void {
    this.#inputFormat = format;
  }

  /** The tensors forward computes with, in state_dict order: each parameter's copy, or itself. */
  computeParameters(): Tensor[] {
    const own = [...this.#parameters].map(([name, t]) => this.#copies.get(name) ?? t);
    return [...own, ...[...this.#children.values()].flatMap((c) => c.computeParameters())];
  }

  /** Frees every parameter and every compute copy. */
  dispose(): void {
    for (const t of this.parameters()) t.dispose();
    this.#disposeCopies();
  }

  #disposeCopies(): void {
    for (const t of this.#copies.values()) t.dispose();
    this.#copies.clear();
    for (const c of this.#children.values()) c.#disposeCopies();
  }
}
