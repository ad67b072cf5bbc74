/**
 * Layers as data: a model is a tree of layer specs (conv, pools, ReLU, flatten, dropout, linear;
 * sequences and channel concatenations of named children). {@linkcode trace} follows an input shape
 * through the tree and gives every layer's input and output shapes and parameter shapes, without
 * libtorch, so geometry, FLOPs and weight-file checks need no model instance.
 *
 * Shapes are per image: `[C, H, W]` before flatten, `[F]` after.
 *
 * @module
 */

/** nn.Conv2d with a square kernel and a bias; input channels come from the input shape. */
export interface ConvSpec {
  /** Layer kind. */
  kind: "conv";
  /** Output channels. */
  out: number;
  /** Kernel size. */
  kernel: number;
  /** Stride. */
  stride: number;
  /** Zero padding. */
  padding: number;
}

/** nn.MaxPool2d with a square kernel. */
export interface MaxPoolSpec {
  /** Layer kind. */
  kind: "maxpool";
  /** Kernel size. */
  kernel: number;
  /** Stride. */
  stride: number;
  /** Padding (with -∞). */
  padding: number;
}

/** nn.AdaptiveAvgPool2d to a square output. */
export interface AvgPoolSpec {
  /** Layer kind. */
  kind: "avgpool";
  /** Output height and width. */
  size: number;
}

/** nn.Linear with a bias; input features come from the input shape. */
export interface LinearSpec {
  /** Layer kind. */
  kind: "linear";
  /** Output features. */
  out: number;
}

/** nn.Dropout. */
export interface DropoutSpec {
  /** Layer kind. */
  kind: "dropout";
  /** Drop probability while training. */
  p: number;
}

/** Layers without parameters or settings: in-place ReLU, and flatten to `[F]`. */
export interface PlainSpec {
  /** Layer kind. */
  kind: "relu" | "flatten";
}

/** A leaf layer. */
export type LeafSpec = ConvSpec | MaxPoolSpec | AvgPoolSpec | LinearSpec | DropoutSpec | PlainSpec;

/** Children under their names, in order (the names are state_dict prefixes). */
export type NamedSpecs = readonly (readonly [name: string, spec: LayerSpec])[];

/** Children applied one after another (nn.Sequential). */
export interface SequentialSpec {
  /** Layer kind. */
  kind: "sequential";
  /** The children in order. */
  layers: NamedSpecs;
}

/** Children applied to the same input, outputs concatenated on the channel axis. */
export interface ConcatSpec {
  /** Layer kind. */
  kind: "concat";
  /** The branches in order. */
  branches: NamedSpecs;
}

/** A layer or a composition of layers. */
export type LayerSpec = LeafSpec | SequentialSpec | ConcatSpec;

/** A conv layer's spec (stride 1 and no padding unless given). */
export function conv(
  out: number,
  kernel: number,
  options: { stride?: number; padding?: number } = {},
): ConvSpec {
  return { kind: "conv", out, kernel, stride: options.stride ?? 1, padding: options.padding ?? 0 };
}

/** A max-pool layer's spec. */
export function maxPool(kernel: number, options: { stride: number; padding: number }): MaxPoolSpec {
  return { kind: "maxpool", kernel, ...options };
}

/** An nn.Sequential's spec: children named by their index, as PyTorch names them. */
export function sequential(...layers: LayerSpec[]): SequentialSpec {
  return { kind: "sequential", layers: layers.map((l, i) => [String(i), l] as const) };
}

/** One layer after tracing: where it sits, what it is, and the shapes it sees. */
export interface TracedLayer {
  /** State-dict prefix (e.g. `inception3a.branch2.0`); `""` for the root. */
  path: string;
  /** The layer. */
  spec: LayerSpec;
  /** Per-image input shape. */
  input: readonly number[];
  /** Per-image output shape. */
  output: readonly number[];
  /** The traced children (empty for a leaf). */
  children: TracedLayer[];
}

function positive(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`expected a positive integer ${what}, found ${n}`);
  }
  return n;
}

function image(input: readonly number[]): readonly number[] {
  if (input.length !== 3) {
    throw new RangeError(`expected a C x H x W input, found [${input.join(", ")}]`);
  }
  return input;
}

function window(
  input: readonly number[],
  k: { kernel: number; stride: number; padding: number },
): [number, number] {
  const [, h, w] = image(input);
  const size = (s: number, axis: string) =>
    positive(Math.floor((s + 2 * k.padding - k.kernel) / k.stride) + 1, `output ${axis}`);
  return [size(h, "height"), size(w, "width")];
}

/**
 * Per-image output shape of a leaf layer for a per-image input shape.
 *
 * @throws {RangeError} When the layer does not fit the input (e.g. an image smaller than a kernel).
 */
export function leafOutput(spec: LeafSpec, input: readonly number[]): number[] {
  input.forEach((d, i) => positive(d, `input dimension ${i}`));
  switch (spec.kind) {
    case "conv":
      return [spec.out, ...window(input, spec)];
    case "maxpool":
      return [input[0], ...window(input, spec)];
    case "avgpool":
      return [image(input)[0], spec.size, spec.size];
    case "flatten":
      return [input.reduce((a, d) => a * d, 1)];
    case "linear":
      if (input.length !== 1) {
        throw new RangeError(`expected a flat input, found [${input.join(", ")}]`);
      }
      return [spec.out];
    case "relu":
    case "dropout":
      return [...input];
  }
}

/** Parameter names and shapes of a leaf layer for its input shape (weight, then bias). */
export function leafParameters(
  spec: LeafSpec,
  input: readonly number[],
): [name: string, shape: number[]][] {
  if (spec.kind === "conv") {
    return [["weight", [spec.out, input[0], spec.kernel, spec.kernel]], ["bias", [spec.out]]];
  }
  if (spec.kind === "linear") return [["weight", [spec.out, input[0]]], ["bias", [spec.out]]];
  return [];
}

function concatOutput(branches: TracedLayer[]): number[] {
  if (branches.length === 0) throw new RangeError("expected at least one branch, found none");
  const outputs = branches.map((b) => b.output);
  const first = image(outputs[0]);
  for (const o of outputs) {
    if (o.length !== 3 || o[1] !== first[1] || o[2] !== first[2]) {
      throw new RangeError(
        `expected branches of height ${first[1]} and width ${first[2]}, found [${o.join(", ")}]`,
      );
    }
  }
  return [branches.reduce((c, b) => c + b.output[0], 0), first[1], first[2]];
}

function childPath(parent: string, name: string): string {
  return parent ? `${parent}.${name}` : name;
}

function traceAt(spec: LayerSpec, at: { input: readonly number[]; path: string }): TracedLayer {
  const { input, path } = at;
  if (spec.kind === "sequential") {
    const children: TracedLayer[] = [];
    let shape = input;
    for (const [name, s] of spec.layers) {
      children.push(traceAt(s, { input: shape, path: childPath(path, name) }));
      shape = children.at(-1)!.output;
    }
    return { path, spec, input, output: [...shape], children };
  }
  if (spec.kind === "concat") {
    const children = spec.branches.map(([name, s]) =>
      traceAt(s, { input, path: childPath(path, name) })
    );
    return { path, spec, input, output: inLayer(path, () => concatOutput(children)), children };
  }
  return { path, spec, input, output: inLayer(path, () => leafOutput(spec, input)), children: [] };
}

function inLayer<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError) throw new RangeError(`${path || "the model"}: ${e.message}`);
    throw e;
  }
}

/**
 * Follows a per-image input shape through a layer tree: every layer's input and output shapes.
 *
 * @throws {RangeError} When a layer does not fit its input (e.g. an image smaller than a kernel),
 * naming the layer.
 */
export function trace(spec: LayerSpec, input: readonly number[]): TracedLayer {
  return traceAt(spec, { input, path: "" });
}

function isLeaf(spec: LayerSpec): spec is LeafSpec {
  return spec.kind !== "sequential" && spec.kind !== "concat";
}

/** The leaf layers of a traced tree, in order. */
export function leaves(t: TracedLayer): TracedLayer[] {
  return isLeaf(t.spec) ? [t] : t.children.flatMap(leaves);
}

/** State-dict names and shapes of every parameter of a traced tree, in registration order. */
export function parameterShapes(t: TracedLayer): [name: string, shape: number[]][] {
  return leaves(t).flatMap((l) =>
    leafParameters(l.spec as LeafSpec, l.input).map((
      [n, s],
    ): [string, number[]] => [childPath(l.path, n), s])
  );
}
