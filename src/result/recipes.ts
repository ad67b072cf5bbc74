/**
 * The `--baseline` names, declared once: per name (schema.ts's `CHOICES.baseline`) the stack
 * that runs it as a worker, PyTorch's recipe for the step (baselines/pytorch_recipes.py's, passed
 * as `--recipe`), the precision and options its run records, and the label reports give it. A
 * baseline run names its recipe back through `options.recipe` (absent for the seed's fp32
 * recipe, as in every result before the recipes), so that {@linkcode baselineNameOf} finds it.
 *
 * @module
 */
import type { BaselineName, Implementation, Precision, Run } from "./schema.ts";

/** What a `--baseline` name runs. */
export interface BaselineSpec {
  /** The stack of its worker (ours: src/bench/baselines/self_worker.ts). */
  implementation: Implementation;
  /**
   * The recipe its worker is started with (`--recipe`): baselines/pytorch_recipes.py's, or ours
   * (self_worker.ts takes the precision and layout below); null for the libtorch C++ worker.
   */
  recipe: string | null;
  /** The run's precision. */
  precision: Precision;
  /** Whether the recipe keeps weights and batches in channels-last. */
  channelsLast: boolean;
  /** How reports name it. */
  label: string;
  /** Whether the step runs under torch.compile (torch 2.x only), not eagerly. */
  compiled?: true;
}

/** Every `--baseline` name's recipe. */
export const BASELINES: Readonly<Record<BaselineName, BaselineSpec>> = {
  pytorch: {
    implementation: "pytorch",
    recipe: "fp32",
    precision: "fp32",
    channelsLast: false,
    label: "PyTorch",
  },
  "pytorch-bf16": {
    implementation: "pytorch",
    recipe: "bf16-autocast-cl",
    precision: "bf16",
    channelsLast: true,
    label: "PyTorch bf16 autocast+CL",
  },
  "pytorch-bf16-pure": {
    implementation: "pytorch",
    recipe: "bf16-pure-cl",
    precision: "bf16-pure",
    channelsLast: true,
    label: "PyTorch pure bf16+CL (bf16 params)",
  },
  "pytorch-bf16-hybrid": {
    implementation: "pytorch",
    recipe: "bf16-hybrid-cl",
    precision: "bf16-hybrid",
    channelsLast: true,
    label: "PyTorch bf16 hybrid+CL",
  },
  "pytorch-compile": {
    implementation: "pytorch",
    recipe: "fp32-compile",
    precision: "fp32",
    channelsLast: false,
    label: "PyTorch fp32 torch.compile",
    compiled: true,
  },
  libtorch: {
    implementation: "libtorch",
    recipe: null,
    precision: "fp32",
    channelsLast: false,
    label: "libtorch C++",
  },
  "deno-fp32": {
    implementation: "deno-libtorch",
    recipe: "fp32",
    precision: "fp32",
    channelsLast: false,
    label: "ours fp32 (worker)",
  },
  "deno-bf16-hybrid": {
    implementation: "deno-libtorch",
    recipe: "bf16-hybrid-cl",
    precision: "bf16-hybrid",
    channelsLast: true,
    label: "ours bf16 hybrid+CL (worker)",
  },
};

const NAMES = Object.keys(BASELINES) as BaselineName[];

/** The `--baseline` names whose step runs under torch.compile (torch 2.x only). */
export const COMPILED_BASELINES: readonly BaselineName[] = NAMES.filter((n) =>
  BASELINES[n].compiled
);

/** The name whose recipe an implementation runs when no recipe is recorded (the seed's). */
function defaultName(implementation: Implementation): BaselineName | null {
  return NAMES.find((n) => n === implementation) ?? null;
}

/**
 * The options a baseline's run records beside torch's version: `recipe` and `channelsLast` for
 * a recipe other than its stack's default, nothing for the default.
 */
export function recipeOptions(name: BaselineName): Record<string, string | boolean> {
  const spec = BASELINES[name];
  if (defaultName(spec.implementation) === name || spec.recipe === null) return {};
  return { recipe: spec.recipe, ...(spec.channelsLast ? { channelsLast: true } : {}) };
}

/** The `--baseline` name of a baseline's run, or null for a run of ours or an unknown recipe. */
export function baselineNameOf(run: Pick<Run, "implementation" | "options">): BaselineName | null {
  const recipe = run.options.recipe;
  if (recipe === undefined) return defaultName(run.implementation);
  return NAMES.find((n) =>
    BASELINES[n].implementation === run.implementation && BASELINES[n].recipe === recipe
  ) ?? null;
}

/** A run's baselines: the first, then any further ones. */
export function baselinesOf(run: Pick<Run, "baseline" | "moreBaselines">): Run[] {
  return [...(run.baseline ? [run.baseline] : []), ...(run.moreBaselines ?? [])];
}

/**
 * Whether `name` is one of PyTorch's own bf16 recipes as issue 19 names them (autocast or pure
 * bf16): not the hybrid, which is this harness's split carried over to PyTorch.
 */
export function isPytorchBf16(name: BaselineName): boolean {
  const spec = BASELINES[name];
  return spec.implementation === "pytorch" && ["bf16", "bf16-pure"].includes(spec.precision);
}
