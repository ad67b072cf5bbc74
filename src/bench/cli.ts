/**
 * Command-line parsing for `deno task bench`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { AdamChoice, BenchConfig, DeviceChoice, Precision } from "./schema.ts";

/**
 * A command-line mistake. The message is one line naming the flag, what was
 * expected and what was found, e.g.
 * `--batch-size: expected an integer ≥ 1, found "0"`.
 */
export class UsageError extends Error {
  /** Creates a usage error with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Thrown by {@linkcode parseBenchArgs} when `--help` (or `-h`) is given. It
 * is not a {@linkcode UsageError}: callers print {@linkcode HelpRequested.usage}
 * to stdout and exit with status 0.
 */
export class HelpRequested extends Error {
  /** The help text, as {@linkcode usage} renders it. */
  readonly usage: string;
  /** Creates the signal carrying the help text. */
  constructor(usageText: string) {
    super("help requested");
    this.name = "HelpRequested";
    this.usage = usageText;
  }
}

/** Options for {@linkcode parseBenchArgs}. */
export interface ParseBenchArgsOptions {
  /** Cores of the machine, the default for `--threads`. Default `navigator.hardwareConcurrency`. */
  cores?: number;
}

/** Default timed window when neither `--epochs` nor `--steps` is given. */
export const DEFAULT_STEPS = 50;
/** Default evaluated epochs when neither `--epochs` nor `--steps` is given. */
export const DEFAULT_EPOCHS = 1;

const FLAGS = {
  device: { type: "string" },
  epochs: { type: "string" },
  steps: { type: "string" },
  warmup: { type: "string" },
  "batch-size": { type: "string" },
  lr: { type: "string" },
  threads: { type: "string" },
  seed: { type: "string" },
  data: { type: "string" },
  "target-accuracy": { type: "string" },
  baseline: { type: "string" },
  precision: { type: "string" },
  tf32: { type: "boolean" },
  "cuda-graphs": { type: "boolean" },
  "channels-last": { type: "boolean" },
  "cudnn-benchmark": { type: "boolean" },
  adam: { type: "string" },
  "clip-grad-norm": { type: "string" },
  out: { type: "string" },
  json: { type: "string" },
  "no-progress": { type: "boolean" },
  save: { type: "string" },
  load: { type: "string" },
  resume: { type: "string" },
  "checkpoint-dir": { type: "string" },
  "max-seconds": { type: "string" },
  force: { type: "boolean" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * The help text: every flag with its default.
 *
 * @param options The machine's core count, shown as the `--threads` default.
 * Default `navigator.hardwareConcurrency`.
 * @returns Multi-line usage text ending in a newline.
 */
export function usage(options: ParseBenchArgsOptions = {}): string {
  const cores = options.cores ?? navigator.hardwareConcurrency;
  return `Usage: deno task bench [flags]

Trains GoogLeNet on MNIST through libtorch and writes timings to results/.
Default profile (neither --epochs nor --steps): a ${DEFAULT_STEPS}-step timed window,
then ${DEFAULT_EPOCHS} evaluated epoch.

Flags:
  --device cpu|cuda|all     devices to benchmark; all = every device present (default: all)
  --epochs N                train N evaluated epochs (default: a ${DEFAULT_STEPS}-step timed window,
                            then ${DEFAULT_EPOCHS} evaluated epoch)
  --steps N                 time a window of N training steps instead of whole epochs
                            (default: ${DEFAULT_STEPS} before the evaluated epoch, see --epochs)
  --warmup N                untimed warm-up steps before timing (default: 5)
  --batch-size N            images per step (default: 64)
  --lr X                    learning rate (default: 0.001)
  --threads N               CPU threads, 1..1024 (default: the machine's cores, ${cores} here)
  --seed N                  random seed (default: 0)
  --data mnist|fashion-mnist|PATH
                            data set name or data directory (default: mnist)
  --target-accuracy X       test accuracy for time to target, in (0, 1] (default: 0.97)
  --baseline pytorch        also run the same configuration in PyTorch (default: off)
  --precision fp32|bf16     fp32, or forward and loss under bf16 autocast (default: fp32)
  --tf32                    allow TF32 for CUDA matmuls and convolutions (default: off)
  --cuda-graphs             capture the whole CUDA training step in a CUDA graph after a few
                            eager steps and replay it per batch (default: off)
  --channels-last           NHWC layout for conv weights and batches (default: off)
  --cudnn-benchmark         let cuDNN time its algorithms and keep the fastest (default: off)
  --adam auto|single|foreach|fused
                            Adam's kernels; auto = torch.optim.Adam's default: single on the
                            CPU, foreach on CUDA (default: auto)
  --clip-grad-norm X        clip gradients to norm X > 0 (default: off)
  --out DIR                 directory for the result file (default: results)
  --json FILE               also write the result JSON to FILE (default: off)
  --no-progress             no progress bar or progress lines (default: progress on)
  --save PATH               write the trained weights (.safetensors or .pt, state_dict names)
                            (default: off)
  --load PATH               start from these weights (.safetensors or .pt) (default: off)
  --resume FILE             continue an interrupted run from its checkpoint (default: off)
  --checkpoint-dir DIR      where checkpoints go at each epoch end and on interrupt
                            (default: the --out directory)
  --max-seconds S           deadline: stop each run at the step boundary after S seconds, and
                            skip an epoch that will not fit (default: off)
  --force                   overwrite existing --save/--json files (default: off)
  --verbose                 stack traces for errors (default: off)
  -h, --help                show this help
`;
}

/**
 * Formats a usage error for the terminal: the message, then a hint to `--help`.
 *
 * @param error The error thrown by {@linkcode parseBenchArgs}.
 * @returns Two lines ending in a newline.
 */
export function formatUsageError(error: UsageError): string {
  return `error: ${error.message}\nRun with --help to see every flag and its default.\n`;
}

/**
 * Parses the benchmark's command line into a {@linkcode BenchConfig}.
 *
 * Unknown flags, positional arguments, repeated flags and malformed values
 * are rejected. A leading `--` (as `deno task` may pass) is dropped. When
 * neither `--epochs` nor `--steps` is given, the default profile is a
 * {@linkcode DEFAULT_STEPS}-step timed window followed by
 * {@linkcode DEFAULT_EPOCHS} evaluated epoch, i.e. `epochs: 1, steps: 50`.
 *
 * @param args The arguments, e.g. `Deno.args`.
 * @param options The machine's core count for the `--threads` default.
 * @returns The configuration.
 * @throws {UsageError} On any command-line mistake, with a one-line message.
 * @throws {HelpRequested} When `--help` or `-h` is given.
 *
 * @example Usage
 * ```ts
 * import { parseBenchArgs } from "./cli.ts";
 * const config = parseBenchArgs(["--device", "cpu", "--steps", "20"], { cores: 2 });
 * config.threads; // 2
 * ```
 */
export function parseBenchArgs(
  args: readonly string[],
  options: ParseBenchArgsOptions = {},
): BenchConfig {
  const argv = args[0] === "--" ? args.slice(1) : [...args];
  const { values, tokens } = parseStrict(argv);
  rejectRepeats(tokens);
  if (values.help) throw new HelpRequested(usage(options));

  const cores = options.cores ?? navigator.hardwareConcurrency;
  let epochs = optional(values.epochs, (v) => integer("--epochs", v, 1));
  let steps = optional(values.steps, (v) => integer("--steps", v, 1));
  if (epochs === null && steps === null) {
    epochs = DEFAULT_EPOCHS;
    steps = DEFAULT_STEPS;
  }
  return {
    device: oneOf("--device", values.device ?? "all", ["cpu", "cuda", "all"]) as DeviceChoice,
    epochs,
    steps,
    warmup: optional(values.warmup, (v) => integer("--warmup", v, 0)) ?? 5,
    batchSize: optional(values["batch-size"], (v) => integer("--batch-size", v, 1)) ?? 64,
    lr: optional(values.lr, (v) => positive("--lr", v)) ?? 1e-3,
    threads: optional(values.threads, (v) => integer("--threads", v, 1, 1024)) ??
      Math.min(Math.max(1, cores), 1024),
    seed: optional(values.seed, (v) => integer("--seed", v, 0)) ?? 0,
    data: optional(values.data, (v) => nonEmpty("--data", v)) ?? "mnist",
    targetAccuracy: optional(values["target-accuracy"], targetAccuracy) ?? 0.97,
    baseline: optional(values.baseline, (v) => oneOf("--baseline", v, ["pytorch"])) as
      | "pytorch"
      | null,
    precision: oneOf("--precision", values.precision ?? "fp32", ["fp32", "bf16"]) as Precision,
    tf32: values.tf32 ?? false,
    cudaGraphs: values["cuda-graphs"] ?? false,
    channelsLast: values["channels-last"] ?? false,
    cudnnBenchmark: values["cudnn-benchmark"] ?? false,
    adam: oneOf("--adam", values.adam ?? "auto", [
      "auto",
      "single",
      "foreach",
      "fused",
    ]) as AdamChoice,
    clipGradNorm: optional(values["clip-grad-norm"], (v) => positive("--clip-grad-norm", v)),
    out: optional(values.out, (v) => nonEmpty("--out", v)) ?? "results",
    json: optional(values.json, (v) => nonEmpty("--json", v)),
    progress: !(values["no-progress"] ?? false),
    save: optional(values.save, (v) => weightsPath("--save", v)),
    load: optional(values.load, (v) => weightsPath("--load", v)),
    resume: optional(values.resume, (v) => nonEmpty("--resume", v)),
    checkpointDir: optional(values["checkpoint-dir"], (v) => nonEmpty("--checkpoint-dir", v)),
    maxSeconds: optional(values["max-seconds"], (v) => positive("--max-seconds", v)),
    force: values.force ?? false,
    verbose: values.verbose ?? false,
  };
}

function parseStrict(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: FLAGS,
      strict: true,
      allowPositionals: false,
      tokens: true,
    });
  } catch (error) {
    throw translateParseError(error, argv);
  }
}

function translateParseError(error: unknown, argv: string[]): Error {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const name = /'(-{1,2}[^' <]+)/.exec(message)?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new UsageError(`expected a known flag (see --help), found ${JSON.stringify(name)}`);
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL": {
      const arg = /argument '([^']*)'/.exec(message)?.[1] ?? "";
      return new UsageError(`expected only flags, found the argument ${JSON.stringify(arg)}`);
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      if (message.includes("does not take an argument")) {
        const given = argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1) ?? "";
        return new UsageError(
          `${name}: expected no value (it is a switch), found ${JSON.stringify(given)}`,
        );
      }
      if (message.includes("ambiguous")) {
        const next = argv[argv.indexOf(name) + 1] ?? "";
        return new UsageError(
          `${name}: expected a value, found the flag-like ${JSON.stringify(next)} ` +
            `(write ${name}=${next} if that is the value)`,
        );
      }
      return new UsageError(`${name}: expected a value, found nothing`);
    }
    default:
      return new UsageError(message.split("\n")[0]);
  }
}

function rejectRepeats(tokens: ReadonlyArray<{ kind: string; rawName?: string; name?: string }>) {
  const seen = new Map<string, number>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined) continue;
    seen.set(token.name, (seen.get(token.name) ?? 0) + 1);
  }
  for (const [name, count] of seen) {
    if (count > 1) {
      throw new UsageError(`--${name}: expected at most once, found ${count} times`);
    }
  }
}

function weightsPath(flag: string, value: string): string {
  const v = nonEmpty(flag, value);
  if (!/\.(safetensors|pt)$/.test(v)) {
    throw new UsageError(
      `${flag}: expected a path ending in .safetensors or .pt, found ${JSON.stringify(value)}`,
    );
  }
  return v;
}

function optional<T>(value: string | undefined, parse: (value: string) => T): T | null {
  return value === undefined ? null : parse(value);
}

function integer(flag: string, value: string, min: number, max?: number): number {
  const expected = max === undefined ? `an integer ≥ ${min}` : `an integer in ${min}..${max}`;
  const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
    throw new UsageError(`${flag}: expected ${expected}, found ${JSON.stringify(value)}`);
  }
  return n;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function decimal(value: string): number {
  return DECIMAL.test(value.trim()) ? Number(value) : NaN;
}

function positive(flag: string, value: string): number {
  const x = decimal(value);
  if (!(Number.isFinite(x) && x > 0)) {
    throw new UsageError(`${flag}: expected a finite number > 0, found ${JSON.stringify(value)}`);
  }
  return x;
}

function targetAccuracy(value: string): number {
  const x = decimal(value);
  if (!(x > 0 && x <= 1)) {
    throw new UsageError(
      `--target-accuracy: expected a number in (0, 1], found ${JSON.stringify(value)}`,
    );
  }
  return x;
}

function oneOf(flag: string, value: string, choices: readonly string[]): string {
  if (!choices.includes(value)) {
    throw new UsageError(
      `${flag}: expected one of ${choices.join(", ")}, found ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === "") {
    throw new UsageError(`${flag}: expected a non-empty value, found ""`);
  }
  return value;
}
