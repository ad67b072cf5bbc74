/**
 * Our own step as a baseline worker (`--baseline deno-fp32`, `deno-bf16-hybrid`): this program
 * serves worker protocol v1 (./worker.ts) with a Trainer of this harness in the precision and
 * layout that its `--recipe` names in src/result/recipes.ts, so that two configurations of ours
 * (e.g. `--precision auto` against fp32) are timed paired, in two processes taking turns, as
 * PyTorch's recipes are. Like the other workers it takes the protocol's options only: every
 * other option of ours (Adam's kernels, clipping, branches) is at its default.
 *
 * `deno run -A src/bench/baselines/self_worker.ts --recipe fp32 --serve --data DIR --device cpu
 * --threads N --batch-size B --lr LR --seed S [--tf32]`
 *
 * @module
 */
import { cpus } from "node:os";
import { buildInfo, setBackendFlags, setNumThreads } from "../../ffi/mod.ts";
import { batchRanges, loadDataset } from "../../data/mod.ts";
import { StepFeed, Trainer, uploadDataset } from "../../train/mod.ts";
import { type BaselineName, BASELINES, CHOICES, defaultAdam } from "../../result/mod.ts";
import { commandSchema, parseServeArgs } from "./worker_protocol.ts";
import { linesOf } from "./worker_child.ts";

/** The `--baseline` names this worker serves: those whose stack is ours. */
export const SELF_BASELINES: BaselineName[] = CHOICES.baseline.filter((n) =>
  BASELINES[n].implementation === "deno-libtorch"
);

/** How the harness starts this worker: `deno run` of this file with the project's config. */
export const SELF_WORKER_ARGS: readonly string[] = [
  "run",
  "-A",
  "--config",
  new URL("../../../deno.json", import.meta.url).pathname,
  new URL(import.meta.url).pathname,
];

/** The protocol's options and `--recipe`, checked (a bad one ends the worker with exit 1). */
function options(args: string[]) {
  const { config, own } = parseServeArgs(args, { recipe: { type: "string" } });
  const name = SELF_BASELINES.find((n) => BASELINES[n].recipe === own.recipe);
  if (name === undefined) {
    const recipes = SELF_BASELINES.map((n) => BASELINES[n].recipe).join(", ");
    throw new Error(`--recipe: expected one of ${recipes}, found ${own.recipe ?? "none"}`);
  }
  return { ...config, name };
}

const write = (o: unknown) => console.log(JSON.stringify(o));

function parsedOrNull(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

/** Serves the protocol on stdin/stdout until `quit` or EOF. */
async function serve(args: string[]): Promise<void> {
  const o = options(args);
  setNumThreads(o.threads);
  setBackendFlags({ cudnnBenchmark: false, allowTF32: o.tf32 });
  const dataset = await loadDataset(o.dataDir);
  const data = uploadDataset(dataset, o.device);
  const spec = BASELINES[o.name];
  const trainer = new Trainer(data, {
    lr: o.lr,
    seed: o.seed,
    batchSize: o.batchSize,
    adam: defaultAdam(o.device),
    precision: spec.precision,
    channelsLast: spec.channelsLast,
  });
  const feed = new StepFeed(trainer, o.seed, batchRanges(data.trainCount, o.batchSize));
  const info = buildInfo();
  write({
    ready: true,
    implementation: "deno-libtorch",
    version: info.libtorch,
    deviceName: o.device === "cuda"
      ? (info.cudaDevices[0]?.name ?? "cuda")
      : cpus()[0]?.model ?? "cpu",
    threads: o.threads,
    recipe: spec.recipe,
  });
  for await (const line of linesOf(Deno.stdin.readable)) {
    const command = commandSchema.safeParse(parsedOrNull(line));
    if (!command.success) {
      write({ error: `expected {"op":"steps","n":K} or {"op":"quit"}, found ${line}` });
      continue;
    }
    if (command.data.op === "quit") break;
    const { stepMs, losses } = feed.timedSteps(command.data.n, o.device);
    write({ stepMs, losses: losses.map((l) => Number.isNaN(l) ? null : l) });
  }
  feed.dispose();
  trainer.dispose();
  write({ bye: true });
}

if (import.meta.main) {
  try {
    await serve(Deno.args);
  } catch (e) {
    write({ error: (e as Error).message });
    Deno.exit(1);
  }
}
