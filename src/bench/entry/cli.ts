/**
 * The command line of `deno task bench`: parsed from the one flag table (bench_flags.ts), with
 * the `--cpu-best` preset and the default profile applied, and its `--help` text.
 *
 * @module
 */

import type { BenchConfig } from "../../result/mod.ts";
import { CPU_BEST } from "./options.ts";
import { flagHelp, flagName, parseFlags } from "../../cli/mod.ts";
import {
  BENCH_FLAGS,
  DEFAULT_EPOCHS,
  DEFAULT_STEPS,
  type ParseBenchArgsOptions,
  PROFILE,
} from "./bench_flags.ts";

export { formatUsageError, HelpRequested, UsageError } from "../../cli/mod.ts";
export {
  BENCH_FLAGS,
  DEFAULT_EPOCHS,
  DEFAULT_STEPS,
  type ParseBenchArgsOptions,
} from "./bench_flags.ts";

function context(options: ParseBenchArgsOptions): Required<ParseBenchArgsOptions> {
  return { cores: options.cores ?? navigator.hardwareConcurrency };
}

/** The help text: every flag with its default (`--threads`' from `options.cores`). */
export function usage(options: ParseBenchArgsOptions = {}): string {
  return [
    "Usage: deno task bench [flags]",
    "",
    "Trains GoogLeNet on MNIST through libtorch and writes timings to results/.",
    `Default profile (neither --epochs nor --steps): ${PROFILE}.`,
    "Without --baseline, `deno task bench` times PyTorch beside ours in the window, paired, where",
    "PyTorch is importable (--baseline none: no baseline).",
    "",
    "Flags:",
    ...flagHelp(BENCH_FLAGS, context(options)),
    "",
  ].join("\n");
}

/** `config` with the `--cpu-best` preset's options, save those `args` names itself. */
function withCpuBest(
  config: BenchConfig,
  args: readonly string[],
  options: ParseBenchArgsOptions,
): BenchConfig {
  const given = new Set(args.map((a) => a.split("=")[0]));
  const presetArgs = CPU_BEST.split(" ");
  const preset = parseFlags(BENCH_FLAGS, presetArgs, { context: context(options), usage });
  const out: Record<string, unknown> = { ...config };
  for (const [key, flag] of Object.entries(BENCH_FLAGS)) {
    const name = flagName(key, flag);
    if (presetArgs.includes(name) && !given.has(name)) out[key] = preset[key as keyof BenchConfig];
  }
  return out as BenchConfig;
}

/**
 * Parses the benchmark's command line (a leading `--`, as `deno task` may pass, is dropped). With
 * neither `--epochs` nor `--steps`, the profile is a {@linkcode DEFAULT_STEPS}-step timed window,
 * then {@linkcode DEFAULT_EPOCHS} evaluated epoch.
 *
 * @throws {UsageError} On an unknown, repeated or positional argument or a malformed value.
 * @throws {HelpRequested} When `--help` or `-h` is given.
 */
export function parseBenchArgs(
  args: readonly string[],
  options: ParseBenchArgsOptions = {},
): BenchConfig {
  const parsed = parseFlags(BENCH_FLAGS, args, { context: context(options), usage });
  const config = parsed.cpuBest ? withCpuBest(parsed, args, options) : parsed;
  if (config.epochs === null && config.steps === null) {
    return { ...config, epochs: DEFAULT_EPOCHS, steps: DEFAULT_STEPS };
  }
  return config;
}
