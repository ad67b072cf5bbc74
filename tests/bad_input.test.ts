/**
 * Bad input, table-driven, through the benchmark's entry point: each row exits with code 2,
 * prints a one-line error that says what is wrong, no stack trace, and writes nothing.
 */
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";
import { encodeSafetensors } from "../src/model/safetensors.ts";
import { BENCH_MAIN, writeTinyDataset } from "./_helpers.ts";

const tmp = await Deno.makeTempDir({ prefix: "bad_input_" });
const good = `${tmp}/good`;
await writeTinyDataset(good, { train: 64, test: 20 });

/** A copy of the good data set with one file replaced by `bytes` (or removed when null). */
async function variant(
  name: string,
  file: string,
  edit: (bytes: Uint8Array) => Uint8Array | null,
): Promise<string> {
  const dir = `${tmp}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  for (const e of Deno.readDirSync(good)) {
    const bytes = await Deno.readFile(`${good}/${e.name}`);
    const out = e.name === file ? edit(bytes) : bytes;
    if (out !== null) await Deno.writeFile(`${dir}/${e.name}`, out);
  }
  return dir;
}

const truncated = await variant(
  "truncated",
  "train-images-idx3-ubyte",
  (b) => b.subarray(0, b.length - 100),
);
const badMagic = await variant("magic", "train-labels-idx1-ubyte", (b) => {
  const c = b.slice();
  c[3] = 3;
  return c;
});
const counts = await variant("counts", "train-labels-idx1-ubyte", (b) => {
  const c = b.slice(0, b.length - 1);
  new DataView(c.buffer).setUint32(4, 63);
  return c;
});
const labels = await variant("labels", "t10k-labels-idx1-ubyte", (b) => {
  const c = b.slice();
  c[c.length - 1] = 12;
  return c;
});
const missingFile = await variant("missing", "t10k-images-idx3-ubyte", () => null);
const corruptCheckpoint = `${tmp}/corrupt.safetensors`;
await Deno.writeFile(corruptCheckpoint, new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 123, 34]));
const otherModel = `${tmp}/other-model.safetensors`;
const meta = {
  format: "googlenet-mnist-checkpoint/2",
  recipe: { batchSize: 64, lr: 0.001, seed: 0, data: good, clipGradNorm: null },
  position: {
    epochIndex: 1,
    stepInEpoch: 0,
    runningLoss: 0,
    epochSeconds: 0,
    epochs: [],
    elapsedSeconds: 0,
    timeToTargetSeconds: null,
  },
  adamSteps: 1,
  createdAt: "2026-01-01T00:00:00Z",
};
await Deno.writeFile(
  otherModel,
  encodeSafetensors(
    new Map([
      ["model.layer.weight", {
        dtype: "float32" as const,
        shape: [2],
        data: new Uint8Array(8),
      }],
      ["rng.cpu", { dtype: "uint8" as const, shape: [4], data: new Uint8Array(4) }],
      [
        "rng.order",
        { dtype: "uint8" as const, shape: [4], data: new Uint8Array(4) },
      ],
    ]),
    { checkpoint: JSON.stringify(meta) },
  ),
);
// A checkpoint of the format before the batch order came from libtorch's randperm.
const oldFormat = `${tmp}/old-format.safetensors`;
await Deno.writeFile(
  oldFormat,
  encodeSafetensors(new Map(), {
    checkpoint: JSON.stringify({ ...meta, format: "googlenet-mnist-checkpoint/1" }),
  }),
);
// A checkpoint whose metadata lacks the training position.
const noPosition = `${tmp}/no-position.safetensors`;
await Deno.writeFile(
  noPosition,
  encodeSafetensors(new Map(), { checkpoint: JSON.stringify({ ...meta, position: undefined }) }),
);
const wrongWeights = `${tmp}/wrong.pt`;
await Deno.writeTextFile(wrongWeights, "not a zip archive");

const RUN = ["--device", "cpu", "--steps", "1", "--warmup", "0", "--no-progress"];

interface Row {
  what: string;
  args: string[];
  env?: Record<string, string>;
  message: RegExp;
}

const rows: Row[] = [
  { what: "a missing data folder", args: [...RUN, "--data", `${tmp}/nowhere`], message: /nowhere/ },
  {
    what: "a data folder without the test images",
    args: [...RUN, "--data", missingFile],
    message: /t10k-images-idx3-ubyte/,
  },
  {
    what: "a truncated IDX file",
    args: [...RUN, "--data", truncated],
    message: /train-images-idx3-ubyte.*expected/,
  },
  {
    what: "a wrong magic number",
    args: [...RUN, "--data", badMagic],
    message: /train-labels-idx1-ubyte.*magic/,
  },
  {
    what: "image and label counts that differ",
    args: [...RUN, "--data", counts],
    message: /64.*63|63.*64/,
  },
  {
    what: "labels outside 0–9",
    args: [...RUN, "--data", labels],
    message: /t10k-labels-idx1-ubyte.*12/,
  },
  {
    what: "batch size 0",
    args: [...RUN, "--batch-size", "0"],
    message: /--batch-size: expected an integer ≥ 1, found "0"/,
  },
  {
    what: "negative epochs",
    args: [...RUN, "--epochs=-1"],
    message: /--epochs: expected an integer ≥ 1, found "-1"/,
  },
  {
    what: "threads above 1024",
    args: [...RUN, "--threads", "2000"],
    message: /--threads: expected an integer in 1..1024, found "2000"/,
  },
  { what: "lr 0", args: [...RUN, "--lr", "0"], message: /--lr: expected .*found "0"/ },
  { what: "lr NaN", args: [...RUN, "--lr", "NaN"], message: /--lr: expected .*found "NaN"/ },
  {
    what: "a fractional step count",
    args: [...RUN.slice(0, 2), "--steps", "1.5"],
    message: /--steps: expected an integer/,
  },
  { what: "an unknown flag", args: [...RUN, "--bogus"], message: /expected a known flag.*--bogus/ },
  {
    what: "a --save path of the wrong kind",
    args: [...RUN, "--save", "w.bin"],
    message: /--save: expected a path ending in \.safetensors or \.pt/,
  },
  {
    what: "--device cuda without CUDA",
    args: ["--device", "cuda", "--steps", "1"],
    message: /no CUDA device is available/,
  },
  {
    what: "--cuda-graphs on a CPU run",
    args: [...RUN, "--cuda-graphs"],
    message: /--cuda-graphs applies to CUDA only: expected --device cuda/,
  },
  {
    what: "an unknown --adam kind",
    args: [...RUN, "--adam", "lamb"],
    message: /--adam: expected one of auto, single, foreach, fused, found "lamb"/,
  },
  {
    what: "a missing shim library",
    args: RUN,
    env: { TORCH_SHIM_PATH: `${tmp}/nope/libtorch_shim.so` },
    message: /torch shim not found.*deno task setup/,
  },
  {
    what: "a file that is no shim library",
    args: RUN,
    env: { TORCH_SHIM_PATH: wrongWeights },
    message: /could not be loaded.*deno task setup/,
  },
  {
    what: "a corrupted checkpoint",
    args: [...RUN, "--data", good, "--epochs", "1", "--resume", corruptCheckpoint],
    message: /--resume .*corrupt\.safetensors/,
  },
  {
    what: "a checkpoint of a different model",
    args: [...RUN, "--data", good, "--epochs", "1", "--resume", otherModel],
    message: /expected the model's \d+ parameters, found \d+ missing/,
  },
  {
    what: "a checkpoint of the format before the randperm batch order",
    args: [...RUN, "--data", good, "--epochs", "1", "--resume", oldFormat],
    message:
      /expected a googlenet-mnist-checkpoint\/2 file, found googlenet-mnist-checkpoint\/1 .*randperm/,
  },
  {
    what: "a checkpoint whose metadata lacks the training position",
    args: [...RUN, "--data", good, "--epochs", "1", "--resume", noPosition],
    message: /invalid checkpoint metadata at position: .*expected object, received undefined/,
  },
  {
    what: "a missing checkpoint",
    args: [...RUN, "--data", good, "--epochs", "1", "--resume", `${tmp}/none.safetensors`],
    message: /no such checkpoint file/,
  },
  {
    what: "unreadable --load weights",
    args: [...RUN, "--data", good, "--load", wrongWeights],
    message: /wrong\.pt.*zip archive/,
  },
];

for (const row of rows) {
  Deno.test(`bad input: ${row.what} exits 2 with a one-line message and writes nothing`, async () => {
    const out = `${tmp}/out-${rows.indexOf(row)}`;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", BENCH_MAIN, ...row.args, "--out", out],
      env: row.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    assert.strictEqual(r.code, 2, `exit code for ${row.what}; stderr:\n${stderr}`);
    const errors = stderr.split("\n").filter((l) => l.startsWith("error: "));
    assert.strictEqual(errors.length, 1, `one error line:\n${stderr}`);
    assert.match(errors[0], row.message, stderr);
    assert.ok(!/\n\s+at /.test(stderr), `no stack trace:\n${stderr}`);
    let written: string[] = [];
    try {
      written = [...Deno.readDirSync(out)].map((e) => e.name);
    } catch { /* not even created */ }
    assert.deepStrictEqual(written, [], "nothing written");
  });
}

Deno.test("bad input: a bad flag prints its error and one line naming --help, not the usage", async () => {
  for (const args of [["--batch-size", "0"], ["--bogus"], ["--epochs"]]) {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", BENCH_MAIN, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(r.stderr).trimEnd().split("\n");
    assert.strictEqual(r.code, 2, lines.join("\n"));
    assert.ok(
      lines.length <= 2,
      `expected at most 2 lines, found ${lines.length}:\n${lines.join("\n")}`,
    );
    assert.match(lines[0], /^error: /);
    assert.match(lines.at(-1)!, /--help/);
  }
});

Deno.test("bad input: clean up", async () => {
  await Deno.remove(tmp, { recursive: true });
});
