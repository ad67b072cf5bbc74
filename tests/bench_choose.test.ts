// Which baselines one device's run has (src/bench/baselines/choose.ts): paired in the window,
// PyTorch's own epochs, or PyTorch DDP beside our ranks. Pure: no libtorch, no process.
import assert from "node:assert/strict";
import { parseBenchArgs } from "../src/bench/entry/cli.ts";
import { type BaselineContext, chooseBaselines } from "../src/bench/baselines/choose.ts";

/** chooseBaselines() for `args`, on one process unless `context` says otherwise. */
function choose(args: string[], context: Partial<BaselineContext> = {}) {
  const config = parseBenchArgs(args, { cores: 2 });
  return chooseBaselines(config, {
    window: config.steps !== null,
    epochs: config.epochs !== null,
    rank: null,
    defaultBaseline: false,
    ...context,
  });
}

const SKIPPED_EPOCHS = "PyTorch's epochs skipped: the default baseline is timed in the paired " +
  "window only (give --baseline pytorch to train its epochs too)";

Deno.test("no --baseline: no baseline, paired or not", () => {
  assert.deepEqual(choose(["--steps", "20"]), {
    paired: [],
    epochs: null,
    notes: [],
    finishedNotes: [],
  });
  assert.deepEqual(choose(["--steps", "20", "--baseline", "none"]).epochs, null);
});

Deno.test("--baseline with a window and no epochs: paired only, in the order asked", () => {
  assert.deepEqual(choose(["--steps", "20", "--baseline", "libtorch,pytorch"]), {
    paired: ["libtorch", "pytorch"],
    epochs: null,
    notes: [],
    finishedNotes: [],
  });
});

Deno.test("--baseline pytorch with a window and epochs: paired, and PyTorch trains its epochs", () => {
  const choice = choose(["--steps", "20", "--epochs", "1", "--baseline", "pytorch"]);
  assert.deepEqual(choice.paired, ["pytorch"]);
  assert.equal(choice.epochs, "pytorch");
});

Deno.test("--baseline without a window: PyTorch's epochs alone; the worker-only ones say why not", () => {
  assert.deepEqual(choose(["--epochs", "1", "--baseline", "pytorch,libtorch"]), {
    paired: [],
    epochs: "pytorch",
    notes: ["libtorch baseline skipped: it runs only paired with a timed window (give --steps)"],
    finishedNotes: [],
  });
});

Deno.test("the default baseline is timed in the paired window only, its epochs skipped with a note", () => {
  const args = ["--steps", "20", "--epochs", "1", "--baseline", "pytorch"];
  assert.deepEqual(choose(args, { defaultBaseline: true }), {
    paired: ["pytorch"],
    epochs: null,
    notes: [],
    finishedNotes: [SKIPPED_EPOCHS],
  });
  // Without epochs there are none to skip, and nothing to say.
  const windowOnly = choose(["--steps", "20", "--baseline", "pytorch"], { defaultBaseline: true });
  assert.deepEqual(windowOnly.finishedNotes, []);
});

Deno.test("data-parallel ranks: no paired window; rank 0 runs PyTorch DDP for --baseline pytorch", () => {
  const args = ["--steps", "20", "--epochs", "1", "--baseline", "pytorch", "--nproc", "2"];
  assert.deepEqual(choose(args, { rank: 0 }), {
    paired: [],
    epochs: "pytorch-ddp",
    notes: [],
    finishedNotes: [],
  });
  assert.equal(choose(args, { rank: 1 }).epochs, null);
  const libtorch = ["--steps", "20", "--baseline", "libtorch", "--nproc", "2"];
  assert.deepEqual(choose(libtorch, { rank: 0 }), {
    paired: [],
    epochs: null,
    notes: [],
    finishedNotes: [],
  });
});
