// PyTorch's recipes as workers: baselines/pytorch_baseline.py --serve --recipe R (recipes declared
// once in baselines/pytorch_recipes.py) starts, names its recipe and trains on a tiny IDX set; the
// seed's fp32 recipe gives the losses it gave before the recipes. Needs python3-torch.
import assert from "node:assert/strict";
import { BASELINE_SCRIPT, pythonTorchVersion } from "../src/bench/baselines/baseline.ts";
import { BASELINES } from "../src/result/recipes.ts";
import { CHOICES } from "../src/result/schema.ts";
import { bf16Stages, googlenetParameterShapes } from "../src/model/mod.ts";
import { startWorker, type WorkerConfig } from "../src/bench/baselines/worker.ts";
import { hasPythonTorch, PYTHON, writeTinyDataset } from "./_helpers.ts";

const HAS_TORCH = hasPythonTorch();

/** Tiny data: 40 images, batches of 8, one thread. */
const CONFIG: Omit<WorkerConfig, "dataDir"> = {
  device: "cpu",
  threads: 1,
  batchSize: 8,
  lr: 1e-3,
  seed: 0,
  tf32: false,
};

/**
 * The first 4 losses of pytorch_baseline.py --serve on writeTinyDataset({train: 40}) with CONFIG,
 * recorded from the script before it had recipes (torch 1.13, Debian's, on this project's AMD EPYC
 * host): equal to the last bit there; compared within 1e-6, so that another CPU's kernels pass.
 */
const FP32_LOSSES = [2.29691219329834, 2.295748710632324, 2.348902940750122, 2.361557960510254];

/** The first `n` losses of a worker started with `args` before the protocol's. */
async function losses(dir: string, args: string[], n: number) {
  const w = await startWorker({ program: PYTHON, args: [BASELINE_SCRIPT, ...args] }, {
    ...CONFIG,
    dataDir: dir,
  });
  try {
    return { ready: w.ready, losses: (await w.steps(n)).losses };
  } finally {
    await w.quit();
  }
}

function assertNear(actual: number[], expected: number[], tolerance: number): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((x, i) => {
    assert.ok(
      Math.abs(x - expected[i]) <= tolerance,
      `step ${i + 1}: ${x}, expected ${expected[i]}`,
    );
  });
}

async function withData(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "recipes-" });
  try {
    await writeTinyDataset(dir, { train: 40, test: 10 });
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "every --baseline recipe is one of baselines/pytorch_recipes.py's",
  ignore: !HAS_TORCH,
  fn() {
    const baselines = new URL("../baselines/", import.meta.url).pathname;
    const out = new Deno.Command(PYTHON, {
      args: ["-c", "import json, pytorch_recipes as r; print(json.dumps(list(r.RECIPES)))"],
      cwd: baselines,
      stderr: "inherit",
    }).outputSync();
    assert.ok(out.success);
    const declared: string[] = JSON.parse(new TextDecoder().decode(out.stdout));
    for (const name of CHOICES.baseline) {
      const { recipe } = BASELINES[name];
      if (recipe !== null) assert.ok(declared.includes(recipe), `${name}: ${recipe}`);
    }
  },
});

Deno.test({
  name: "PyTorch's hybrid recipe splits the stages where src/model's bf16Stages() does",
  ignore: !HAS_TORCH,
  fn() {
    const baselines = new URL("../baselines/", import.meta.url).pathname;
    const code = "import json, sys; " +
      "import pytorch_recipes as r; from googlenet import GoogLeNet; " +
      "m = r.prepare('bf16-hybrid-cl', GoogLeNet()); " +
      "print(json.dumps([n for n, c in m.named_children() " +
      "if any(p.dtype == r.torch.bfloat16 for p in c.parameters())]))";
    const out = new Deno.Command(PYTHON, { args: ["-c", code], cwd: baselines, stderr: "inherit" })
      .outputSync();
    assert.ok(out.success);
    const withParams = new Set(googlenetParameterShapes().map(([name]) => name.split(".")[0]));
    const want = [...bf16Stages()].filter((n) => withParams.has(n));
    assert.ok(want.length > 0);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), want);
  },
});

Deno.test({
  name:
    "the seed's fp32 recipe gives the losses it gave before the recipes, with or without --recipe",
  ignore: !HAS_TORCH,
  async fn() {
    await withData(async (dir) => {
      const explicit = await losses(dir, ["--recipe", "fp32"], 4);
      assert.equal(explicit.ready.recipe, "fp32");
      assertNear(explicit.losses, FP32_LOSSES, 1e-6);
      const implicit = await losses(dir, [], 2);
      assert.equal(implicit.ready.recipe, "fp32");
      assert.deepEqual(implicit.losses, explicit.losses.slice(0, 2));
    });
  },
});

Deno.test({
  name: "each bf16 recipe's worker starts, names its recipe and trains (losses near fp32's)",
  ignore: !HAS_TORCH,
  async fn() {
    await withData(async (dir) => {
      for (const name of ["pytorch-bf16", "pytorch-bf16-pure", "pytorch-bf16-hybrid"] as const) {
        const recipe = BASELINES[name].recipe!;
        const r = await losses(dir, ["--recipe", recipe], 2);
        assert.equal(r.ready.recipe, recipe);
        assert.equal(r.ready.implementation, "pytorch");
        assertNear(r.losses, FP32_LOSSES.slice(0, 2), 0.05);
        assert.notDeepEqual(r.losses, FP32_LOSSES.slice(0, 2), `${name} ran in bf16`);
      }
    });
  },
});

Deno.test({
  name: "the compiled recipe's worker refuses torch 1.x with one line naming the version found",
  ignore: !HAS_TORCH,
  async fn() {
    const version = await pythonTorchVersion();
    if (version === null || !version.startsWith("1.")) return; // torch 2.x compiles: not refused
    await withData(async (dir) => {
      await assert.rejects(
        () => losses(dir, ["--recipe", "fp32-compile"], 1),
        /recipe fp32-compile: torch\.compile needs torch >= 2\.0, found torch 1\./,
      );
    });
  },
});

Deno.test({
  name: "the PyTorch worker refuses an unknown recipe, naming the known ones",
  ignore: !HAS_TORCH,
  async fn() {
    await withData(async (dir) => {
      await assert.rejects(
        () => losses(dir, ["--recipe", "fp16-magic"], 1),
        /invalid choice: 'fp16-magic' \(choose from 'fp32', 'fp32-cl', 'bf16-autocast-cl', 'bf16-pure-cl', 'bf16-hybrid-cl', 'fp32-compile'\)/,
      );
    });
  },
});
