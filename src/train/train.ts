/**
 * The training loop of the seed, on any device: zero grads → forward → cross-entropy →
 * backward → Adam step, one short function per step; evaluation in eval mode without grad.
 *
 * @module
 */
import {
  Adam,
  type AdamImpl,
  addInPlace,
  argmax,
  autocast,
  backward,
  clipGradNorm,
  contiguous,
  copy_,
  countEqual,
  crossEntropy,
  CudaGraph,
  type Device as TorchDevice,
  fromHost,
  type Generator,
  type GradientReducer,
  indexSelect,
  item,
  keep,
  manualSeed,
  type MemoryFormat,
  narrow,
  noGrad,
  scalar,
  scope,
  type Tensor,
  to,
  zero_,
  zeros,
} from "../ffi/mod.ts";
import type { Device, Precision, StageCandidate } from "../result/mod.ts";
import { bf16Stages, GoogLeNet, loadWeights, saveWeights } from "../model/mod.ts";
import { type BatchRange, batchRanges, type Dataset, normalizeImages } from "../data/mod.ts";
import type { DataParallel } from "../dist/mod.ts";
import { candidateLayout } from "./stage_plan.ts";

/** Images per evaluation batch (eval runs without grad, so large batches are cheap). */
export const EVAL_BATCH_SIZE = 1000;

/** libtorch's name of a benchmark device: the one conversion between the two. */
export function torchDevice(device: Device): TorchDevice {
  return device === "cuda" ? "cuda:0" : "cpu";
}

/** A data set uploaded to a device once: normalised images and int64 labels. */
export interface DeviceData {
  /** Training images, N x 1 x H x W float32, normalised as the seed does. */
  trainImages: Tensor;
  /** Training labels, N int64. */
  trainLabels: Tensor;
  /** Test images. */
  testImages: Tensor;
  /** Test labels. */
  testLabels: Tensor;
  /** Number of training images. */
  trainCount: number;
  /** Number of test images. */
  testCount: number;
  /** Device the tensors live on. */
  device: Device;
}

function uploadSplit(split: Dataset["train"], device: TorchDevice): [Tensor, Tensor] {
  const images = fromHost(normalizeImages(split.images), [split.count, 1, split.rows, split.cols], {
    device,
  });
  const labels = scope(() =>
    to(fromHost(split.labels, [split.count], { dtype: "uint8" }), device, "int64")
  );
  return [keep(images), keep(labels)];
}

/** Uploads the whole data set to a device, once. */
export function uploadDataset(ds: Dataset, device: Device): DeviceData {
  const [trainImages, trainLabels] = uploadSplit(ds.train, torchDevice(device));
  const [testImages, testLabels] = uploadSplit(ds.test, torchDevice(device));
  return {
    trainImages,
    trainLabels,
    testImages,
    testLabels,
    trainCount: ds.train.count,
    testCount: ds.test.count,
    device,
  };
}

/** Frees an uploaded data set. */
export function disposeDeviceData(d: DeviceData): void {
  for (const t of [d.trainImages, d.trainLabels, d.testImages, d.testLabels]) t.dispose();
}

/**
 * The phases of a training step: batch gather, forward (with the loss), backward, and the
 * optimizer (zeroing gradients, clipping, Adam, the loss sum).
 */
export type StepPhase = "gather" | "forward" | "backward" | "optimizer";

/** Eager full-size steps, on the graph's side stream, before the step is captured. */
export const GRAPH_WARMUP_STEPS = 3;

/** Options of a {@linkcode Trainer}. */
export interface TrainerOptions {
  /** Adam learning rate (the seed's 1e-3). */
  lr: number;
  /** Seed for the model's initialisation and dropout (libtorch's generator). */
  seed: number;
  /** Clip the gradients' joint L2 norm to this before each step (off when null). */
  clipGradNorm?: number | null;
  /**
   * `"bf16"`: forward pass and loss under bf16 autocast; `"bf16-pure"`: the model computes with
   * bf16 copies of its fp32 parameters (channels-last whatever {@linkcode channelsLast} says),
   * the batch in bf16, the loss in fp32, and Adam updates the fp32 masters and refreshes the
   * copies (default `"fp32"`); `"bf16-hybrid"`: as bf16-pure in the stages that bf16 speeds up
   * (bf16Stages: input at least 4×4 pixels), fp32 channels-last in the rest; `"auto"`: each
   * stage in its candidate of {@linkcode stagePlan}.
   */
  precision?: Precision;
  /**
   * `"auto"` only, and required there: one candidate per top-level stage, in forward order
   * (src/train/stage_plan.ts chooses them): its dtype (bf16 copies of the fp32 masters, as
   * bf16-pure) and the layout of its weights and input.
   */
  stagePlan?: readonly StageCandidate[] | null;
  /** Conv weights and input batches in NHWC (channels_last) layout (default false). */
  channelsLast?: boolean;
  /** Adam's kernels (default `"single"`). */
  adam?: AdamImpl;
  /**
   * Capture the whole full-size step (gather, forward, loss, backward, clip, Adam, loss sum) in
   * a CUDA graph after {@linkcode GRAPH_WARMUP_STEPS} eager steps and replay it per batch; a
   * batch of another size runs eagerly (default false).
   */
  graphs?: boolean;
  /** Images per full-size step: the static batch shape a graph is captured for (default 64). */
  batchSize?: number;
  /** Inception blocks' branches one after another, or concurrently (default `"sequential"`). */
  inceptionBranches?: "sequential" | "parallel";
  /**
   * This process's rank of a data-parallel run (src/dist/), or null (default): the model is
   * rank 0's, gradients are averaged over the ranks, each epoch trains this rank's shard, the
   * loss is the ranks' mean, and only rank 0 evaluates.
   */
  dist?: DataParallel | null;
}

function checkedPlan(plan: readonly StageCandidate[] | null | undefined): StageCandidate[] {
  if (plan == null) {
    throw new TypeError(
      'precision "auto": expected a stagePlan (one candidate per stage), found none',
    );
  }
  return [...plan];
}

/** A model, its optimizer and the data it trains on, with the loss summed on the device. */
export class Trainer {
  /** The model being trained. */
  readonly model: GoogLeNet;
  /** Its Adam optimizer. */
  readonly optimizer: Adam;
  /**
   * The tensors the model computes with and that receive the gradients, in state_dict order:
   * its parameters, or their bf16 copies under `"bf16-pure"`.
   */
  readonly params: Tensor[];
  readonly #data: DeviceData;
  readonly #dev: TorchDevice;
  readonly #clip: number | null;
  readonly #autocast: boolean;
  /** bf16-pure: the dtype the model computes in (its parameters stay fp32 masters). */
  readonly #compute: "bfloat16" | null;
  /** Whether some stage computes with bf16 copies that Adam refreshes from the masters. */
  readonly #copies: boolean;
  /** `"auto"`: each stage's candidate; null otherwise. */
  readonly #plan: readonly StageCandidate[] | null;
  readonly #format: MemoryFormat;
  readonly #batchSize: number;
  readonly #graphs: boolean;
  /** Sum of the step losses since the last reset, float32 on the device. */
  readonly #lossSum: Tensor;
  /** The last step's loss, float32 on the device (a fixed address, so a graph can write it). */
  readonly #lastLoss: Tensor;
  /** The graph's static input: the batch's indices into the training set. */
  #index: Tensor | null = null;
  #graph: CudaGraph | null = null;
  #captured = false;
  #warmed = 0;
  readonly #dist: DataParallel | null;
  readonly #sync: GradientReducer | null;

  /** Seeds libtorch, builds the model (PyTorch's initialisation for that seed) on the data's device. */
  constructor(data: DeviceData, options: TrainerOptions) {
    this.#data = data;
    this.#dev = torchDevice(data.device);
    this.#clip = options.clipGradNorm ?? null;
    this.#autocast = options.precision === "bf16";
    const copies = options.precision === "bf16-pure" || options.precision === "bf16-hybrid";
    this.#compute = copies ? "bfloat16" : null;
    this.#plan = options.precision === "auto" ? checkedPlan(options.stagePlan) : null;
    this.#copies = copies || (this.#plan?.includes("bf16-cl") ?? false);
    this.#format = this.#plan === null && (options.channelsLast || this.#compute)
      ? "channels_last"
      : "contiguous";
    this.#batchSize = options.batchSize ?? 64;
    this.#graphs = options.graphs ?? false;
    manualSeed(options.seed);
    this.model = new GoogLeNet();
    this.model.setConcurrentBranches(options.inceptionBranches === "parallel");
    if (this.#plan !== null) this.#placeStages(this.#plan);
    else if (data.device !== "cpu" || this.#format !== "contiguous") {
      this.model.to(this.#dev, { memoryFormat: this.#format });
    }
    const masters = this.model.parameters();
    this.optimizer = new Adam(masters, { lr: options.lr, impl: options.adam ?? "single" });
    this.params = this.#copies ? this.#computeCopies(options.precision) : masters;
    if (this.#copies) this.optimizer.attachCopies(this.params);
    // The reducer hooks the tensors that receive the gradients (the bf16 copies under bf16-pure).
    this.#dist = options.dist ?? null;
    this.#sync = this.#dist?.attach(this.params) ?? null;
    this.#lossSum = keep(zeros([], { device: this.#dev }));
    this.#lastLoss = keep(zeros([], { device: this.#dev }));
  }

  /**
   * The epoch's order of training images, an int64 tensor on the device: `torch.randperm(n,
   * generator=gen)` on the CPU, then moved to the device, as baselines/pytorch_baseline.py draws it
   * (one draw per epoch advances `gen`).
   */
  epochOrder(gen: Generator): Tensor {
    const perm = this.#dist?.shardOf(gen.randperm(this.#data.trainCount)) ??
      gen.randperm(this.#data.trainCount);
    if (this.#data.device === "cpu") return perm;
    try {
      return to(perm, this.#dev);
    } finally {
      perm.dispose();
    }
  }

  /** An epoch's batches over {@linkcode Trainer.epochOrder} (this rank's, in a distributed run). */
  batchRanges(): BatchRange[] {
    const { trainCount } = this.#data;
    return this.#dist?.ranges(trainCount, this.#batchSize) ??
      batchRanges(trainCount, this.#batchSize);
  }

  /**
   * One training step on the batch `range` of `order`; its loss is added to the device-side sum
   * ({@linkcode Trainer.lossSum}), so nothing waits for the device.
   */
  step(order: Tensor, range: BatchRange): void {
    if (!this.#graphs || range.size !== this.#batchSize) {
      scope(() => this.#train(narrow(order, 0, range.start, range.size)));
      return;
    }
    if (this.#graph === null) {
      this.#graph = new CudaGraph();
      this.#index = keep(zeros([this.#batchSize], { dtype: "int64", device: this.#dev }));
    }
    const graph = this.#graph, index = this.#index!;
    if (this.#warmed < GRAPH_WARMUP_STEPS) {
      // Lazy initialisation (cuDNN/cuBLAS handles, autotuning, optimizer state) happens here,
      // outside the capture, as torch.cuda.graphs prescribes.
      this.#warmed++;
      graph.onSideStream(() => scope(() => this.#train(narrow(order, 0, range.start, range.size))));
      return;
    }
    scope(() => copy_(index, narrow(order, 0, range.start, range.size)));
    if (!this.#captured) {
      this.optimizer.zeroGrad(); // gradients are then allocated inside the graph's memory pool
      graph.capture(() => scope(() => this.#train(index)));
      this.#captured = true;
    }
    graph.replay();
  }

  /**
   * Runs fn with the trainer's state by name, as a checkpoint stores it: the model's parameters
   * (`model.NAME`) and Adam's moments (`adam.exp_avg.NAME`, `adam.exp_avg_sq.NAME`). The tensors
   * are the live ones: copying into them restores the state.
   */
  withNamedState<T>(fn: (named: [string, Tensor][]) => T): T {
    const named: [string, Tensor][] = [];
    const moments: Tensor[] = [];
    for (const [i, [name, p]] of this.model.namedParameters().entries()) {
      const m = this.optimizer.state(i, 0), v = this.optimizer.state(i, 1);
      moments.push(m, v);
      named.push([`model.${name}`, p], [`adam.exp_avg.${name}`, m]);
      named.push([`adam.exp_avg_sq.${name}`, v]);
    }
    try {
      return fn(named);
    } finally {
      for (const m of moments) m.dispose();
      this.#refreshCopies(); // fn may have restored the masters
    }
  }

  #refreshCopies(): void {
    if (this.#copies) this.optimizer.refreshCopies();
  }

  /** Loads the model's weights from a .safetensors or .pt file (state_dict names). */
  loadWeights(path: string): void {
    loadWeights(this.model, path);
    this.#refreshCopies();
  }

  /** Saves the model's weights to a .safetensors or .pt file (state_dict names). */
  saveWeights(path: string): void {
    saveWeights(this.model, path);
  }

  /** Whether the step has been captured into a graph (after the warm-up steps). */
  get captured(): boolean {
    return this.#captured;
  }

  /**
   * One eager training step on the batch `range` of `order` (as {@linkcode Trainer.step} without
   * a graph), calling `mark` at the end of each phase: the time since the previous mark belongs
   * to that phase (the step profile of src/bench/measure/breakdown.ts, which synchronises the device in `mark`).
   */
  stepPhased(order: Tensor, range: BatchRange, mark: (phase: StepPhase) => void): void {
    scope(() => this.#train(narrow(order, 0, range.start, range.size), mark));
  }

  // zero grads → gather → forward (autocast) → loss → backward → clip → Adam → loss sum and
  // last loss: all device work, nothing read back, so it can be captured as it is.
  #train(idx: Tensor, mark: (phase: StepPhase) => void = () => {}): void {
    const d = this.#data;
    const x = this.#layout(indexSelect(d.trainImages, 0, idx));
    const y = indexSelect(d.trainLabels, 0, idx);
    mark("gather");
    this.model.training = true;
    this.optimizer.zeroGrad();
    mark("optimizer");
    const loss = this.#forwardLoss(x, y);
    this.#sync?.prepare();
    mark("forward");
    backward(loss);
    mark("backward");
    if (this.#clip !== null) clipGradNorm(this.params, this.#clip);
    this.optimizer.step();
    addInPlace(this.#lossSum, loss);
    copy_(this.#lastLoss, loss);
    mark("optimizer");
  }

  // Each stage's weights in its candidate's layout, and its input laid out where the layout
  // changes from the stage before (the batch comes in NCHW); the dtypes are #computeCopies'.
  #placeStages(plan: readonly StageCandidate[]): void {
    const stages = this.model.namedChildren();
    if (plan.length !== stages.length) {
      throw new RangeError(
        `stage plan: expected one candidate for each of the ${stages.length} stages, found ` +
          `${plan.length}`,
      );
    }
    let before: MemoryFormat = "contiguous";
    stages.forEach(([, stage], i) => {
      const { format } = candidateLayout(plan[i]);
      if (format !== "contiguous" || this.#dev !== "cpu") {
        stage.to(this.#dev, { memoryFormat: format });
      }
      stage.setInputFormat(format === before ? null : format);
      before = format;
    });
  }

  // The tensors the model computes with: bf16 copies of every parameter (bf16-pure), or of the
  // bf16 stages' only, the other stages computing with their fp32 masters (bf16-hybrid, auto).
  #computeCopies(precision: Precision | undefined): Tensor[] {
    const o = { memoryFormat: this.#format };
    if (this.#plan !== null) {
      this.model.namedChildren().forEach(([, stage], i) => {
        const { dtype, format } = candidateLayout(this.#plan![i]);
        stage.makeComputeCopies(dtype, { memoryFormat: format });
      });
      return this.model.computeParameters();
    }
    if (precision !== "bf16-hybrid") return this.model.makeComputeCopies("bfloat16", o);
    const low = bf16Stages();
    for (const [name, stage] of this.model.namedChildren()) {
      stage.makeComputeCopies(low.has(name) ? "bfloat16" : "float32", o);
    }
    return this.model.computeParameters();
  }

  // A batch in the model's layout and compute dtype; NCHW fp32 batches already are, so no call
  // (or handle) is spent.
  #layout(x: Tensor): Tensor {
    const cast = this.#compute === null ? x : to(x, this.#dev, this.#compute);
    return this.#format === "contiguous" ? cast : contiguous(cast, this.#format);
  }

  // The logits: under autocast for "bf16"; in bf16 for "bf16-pure" (and where auto's last
  // stage is), so widened for the loss.
  #logits(x: Tensor): Tensor {
    if (this.#autocast) return autocast(this.#dev, () => this.model.forward(x));
    const logits = this.model.forward(x);
    const low = this.#plan === null ? this.#compute !== null : this.#plan.at(-1) === "bf16-cl";
    return low ? to(logits, this.#dev, "float32") : logits;
  }

  #forwardLoss(x: Tensor, y: Tensor): Tensor {
    if (!this.#autocast) return crossEntropy(this.#logits(x), y);
    return autocast(this.#dev, () => crossEntropy(this.model.forward(x), y));
  }

  /** The summed loss of the steps since the last reset (waits for the device); in a
   *  distributed run, the ranks' mean (every rank must ask). */
  lossSum(): number {
    const sum = this.localLossSum();
    return this.#dist?.mean(sum) ?? sum;
  }

  /**
   * The summed loss of this process's own steps since the last reset (waits for the device):
   * no collective, so one rank alone may ask (rank 0's progress line).
   */
  localLossSum(): number {
    return item(this.#lossSum);
  }

  /**
   * The last step's exposed all-reduce wait in milliseconds (GradientReducer.lastWaitMs), or
   * null on one process or when it was not measured.
   */
  allreduceWaitMs(): number | null {
    return this.#sync?.lastWaitMs() ?? null;
  }

  /** The last step's loss, as float32 (waits for the device). */
  lastLoss(): number {
    return item(this.#lastLoss);
  }

  /** Sets the device-side loss sum (0 at an epoch start; a checkpoint's value on resume). */
  resetLossSum(value = 0): void {
    noGrad(() => {
      zero_(this.#lossSum);
      if (value !== 0) {
        scope(() => addInPlace(this.#lossSum, scalar(value, { device: this.#dev })));
      }
    });
  }

  /** Test-set accuracy in eval mode (dropout off, no grad), in batches of EVAL_BATCH_SIZE; NaN
   *  on a distributed run's ranks other than 0 (rank 0 evaluates). */
  evaluate(): number {
    if (this.#dist !== null && this.#dist.rank !== 0) return NaN; // rank 0 evaluates
    const d = this.#data;
    this.model.training = false;
    try {
      let correct = 0;
      for (let start = 0; start < d.testCount; start += EVAL_BATCH_SIZE) {
        const size = Math.min(EVAL_BATCH_SIZE, d.testCount - start);
        correct += noGrad(() =>
          scope(() => {
            const x = this.#layout(narrow(d.testImages, 0, start, size));
            const y = narrow(d.testLabels, 0, start, size);
            return item(countEqual(argmax(this.#logits(x), 1), y));
          })
        );
      }
      return correct / d.testCount;
    } finally {
      this.model.training = true;
    }
  }

  /** Frees the graph, the model and the optimizer (not the data). */
  dispose(): void {
    this.#graph?.dispose();
    this.#index?.dispose();
    this.#lossSum.dispose();
    this.#lastLoss.dispose();
    this.#sync?.dispose();
    this.optimizer.dispose();
    this.model.dispose();
  }
}
