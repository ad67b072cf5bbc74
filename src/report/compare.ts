/**
 * `deno task compare A.json B.json`, in the manner of `pyperf compare_to`. First, where both
 * files hold paired baselines, ratio against ratio: for each run of ours in both and each
 * baseline paired with it in both, B's paired ratio (ours over the baseline, measured side by
 * side in B) over A's, with a 95% bootstrap interval over the two files' rounds, worded by
 * {@linkcode pairedVerdict}: the stable quantity, since both sides of each ratio shared the host.
 * Then the absolute medians: for each run of B that matches a run of A (same implementation,
 * device, precision and options; baselines included), B's median step over A's with a 95%
 * bootstrap interval over the two runs' step samples. That interval covers the step-to-step noise
 * within each run only; across runs on a shared host medians move by more than it, so the output
 * says so and draws no "faster" or "slower" from them. Exit codes: 0 compared, 2 bad arguments
 * or files.
 *
 * @module
 */
import { readResult as read } from "./load.ts";
import { rowsOf, runName, sortKeys } from "./rows.ts";
import { pairedVerdict } from "./verdicts.ts";
import {
  baselineNameOf,
  BASELINES,
  baselinesOf,
  type BenchResult,
  type Run,
  SchemaError,
} from "../result/mod.ts";
import { formatRatio, medianRatio } from "../stats/mod.ts";

/** What a comparison concludes for one run. */
export type Verdict = "faster" | "slower" | "no significant difference";

/** One matched run of B against A. */
export interface Comparison {
  /** The run's name (as B's report names it). */
  name: string;
  /** A's median step in milliseconds. */
  aMedianMs: number;
  /** B's. */
  bMedianMs: number;
  /** B's median over A's. */
  ratio: number;
  /** Its 95% bootstrap interval. */
  ci: [number, number];
  /** B is faster (the interval is below 1), slower (above 1), or neither. */
  verdict: Verdict;
}

/** One baseline paired with a run of ours in both files: B's paired ratio against A's. */
export interface RatioComparison {
  /** Our run's name and the baseline's label, e.g. `deno+libtorch cpu fp32 / PyTorch`. */
  name: string;
  /** A's paired ratio, ours over the baseline, and its interval. */
  a: { ratioMedian: number; ratioCI95: [number, number] };
  /** B's. */
  b: { ratioMedian: number; ratioCI95: [number, number] };
  /** B's ratio over A's (the median of B's rounds over the median of A's). */
  ratio: number;
  /** Its 95% bootstrap interval, the two files' rounds resampled independently. */
  ci: [number, number];
}

/** The comparison of two results. */
export interface CompareOutcome {
  /** Paired ratios both files hold, ratio against ratio, in B's order. */
  ratios: RatioComparison[];
  /** The runs both hold, in B's order. */
  matched: Comparison[];
  /** Names of the runs only A holds. */
  onlyA: string[];
  /** Names of the runs only B holds. */
  onlyB: string[];
}

/** What makes two runs the same measurement: implementation, device, precision, options. */
function matchKey(run: Run): string {
  return JSON.stringify(sortKeys([run.implementation, run.device, run.precision, run.options]));
}

/** The verdict of a ratio's interval. */
export function verdictOf(ci: readonly [number, number]): Verdict {
  return ci[1] < 1 ? "faster" : ci[0] > 1 ? "slower" : "no significant difference";
}

/** Each key's first run, in order. */
function byKey(result: BenchResult): Map<string, Run> {
  const runs = new Map<string, Run>();
  for (const run of rowsOf(result)) if (!runs.has(matchKey(run))) runs.set(matchKey(run), run);
  return runs;
}

/**
 * Compares B with A run by run. Pure: the bootstrap is seeded.
 *
 * @param a The reference result.
 * @param b The changed result.
 * @returns The matched runs with their ratios and verdicts, and the runs without a match.
 */
export function compareResults(a: BenchResult, b: BenchResult): CompareOutcome {
  const runsA = byKey(a), runsB = byKey(b);
  const matched: Comparison[] = [];
  const onlyB: string[] = [];
  for (const [key, runB] of runsB) {
    const runA = runsA.get(key);
    if (runA === undefined) {
      onlyB.push(runName(runB));
      continue;
    }
    const { ratio, ci } = medianRatio(runB.stepMs.samples, runA.stepMs.samples);
    matched.push({
      name: runName(runB),
      aMedianMs: runA.stepMs.median,
      bMedianMs: runB.stepMs.median,
      ratio,
      ci,
      verdict: verdictOf(ci),
    });
  }
  const onlyA = [...runsA].filter(([key]) => !runsB.has(key)).map(([, run]) => runName(run));
  return { ratios: compareRatios(a, b), matched, onlyA, onlyB };
}

/** A result's runs of ours by {@linkcode matchKey}, each with its paired baselines by name. */
function pairedOf(result: BenchResult): Map<string, [Run, Map<string, Run>]> {
  const out = new Map<string, [Run, Map<string, Run>]>();
  const named = rowsOf(result);
  for (const run of result.runs) {
    const paired = new Map<string, Run>();
    for (const base of baselinesOf(run)) {
      const name = baselineNameOf(base);
      if (name !== null && base.paired && base.paired.ratios.length > 0) paired.set(name, base);
    }
    const ours = named.find((r) =>
      r.options === run.options && r.implementation === run.implementation
    ) ?? run;
    if (paired.size > 0 && !out.has(matchKey(run))) out.set(matchKey(run), [ours, paired]);
  }
  return out;
}

/** Ratio against ratio: every baseline paired with the same run of ours in both files. */
export function compareRatios(a: BenchResult, b: BenchResult): RatioComparison[] {
  const inA = pairedOf(a);
  const out: RatioComparison[] = [];
  for (const [key, [ours, basesB]] of pairedOf(b)) {
    const basesA = inA.get(key)?.[1];
    if (basesA === undefined) continue;
    for (const [name, baseB] of basesB) {
      const pa = basesA.get(name)?.paired, pb = baseB.paired!;
      if (pa === undefined) continue;
      const { ratio, ci } = medianRatio(pb.ratios, pa.ratios);
      out.push({
        name: `${runName(ours)} / ${BASELINES[name as keyof typeof BASELINES].label}`,
        a: { ratioMedian: pa.ratioMedian, ratioCI95: pa.ratioCI95 },
        b: { ratioMedian: pb.ratioMedian, ratioCI95: pb.ratioCI95 },
        ratio,
        ci,
      });
    }
  }
  return out;
}

/** What the absolute medians' intervals cover, said before them. */
export const ABSOLUTE_WARNING: string =
  "Absolute medians, B/A with a 95% bootstrap interval over each run's step samples: the " +
  "interval covers the step-to-step noise within each of the two runs only. Across runs on a " +
  "shared host, medians move by more than that, so no faster or slower is drawn from them; " +
  "read the paired ratios";

function ratioLines(ratios: readonly RatioComparison[]): string[] {
  if (ratios.length === 0) {
    return [
      "No paired ratio in both files (run both with --baseline to compare ratio against ratio).",
    ];
  }
  return [
    "Paired ratios, ratio against ratio (each ratio ours over a baseline measured side by side in " +
    "one file; B's over A's with a 95% bootstrap interval over the two files' rounds):",
    ...ratios.map((r) =>
      `  ${r.name}: A ${formatRatio(r.a)}, B ${formatRatio(r.b)}; B/A ${
        formatRatio({ ratioMedian: r.ratio, ratioCI95: r.ci })
      }: ` +
      `ours relative to it in B against A: ${pairedVerdict(r.ratio, r.ci[0], r.ci[1])}`
    ),
  ];
}

/**
 * The comparison as text: the paired ratios (ratio against ratio), then the absolute medians
 * under {@linkcode ABSOLUTE_WARNING}, then the runs without a match.
 */
export function formatComparison(outcome: CompareOutcome): string {
  const lines = [...ratioLines(outcome.ratios), "", ABSOLUTE_WARNING];
  for (const c of outcome.matched) {
    const ratio = formatRatio({ ratioMedian: c.ratio, ratioCI95: c.ci });
    lines.push(
      `  ${c.name}: median step ${c.aMedianMs.toFixed(2)} ms -> ${c.bMedianMs.toFixed(2)} ms: ` +
        `B/A ${ratio}`,
    );
  }
  if (outcome.matched.length === 0) lines.push("  No run of B matches a run of A.");
  for (const name of outcome.onlyA) lines.push(`only in A: ${name}`);
  for (const name of outcome.onlyB) lines.push(`only in B: ${name}`);
  return lines.join("\n") + "\n";
}

/** A result file, read and checked; a one-line error naming the file when it is not one. */
async function readResult(path: string): Promise<BenchResult> {
  try {
    return await read(path);
  } catch (e) {
    if (e instanceof SchemaError || e instanceof SyntaxError || e instanceof Deno.errors.NotFound) {
      throw new Error(`${path}: ${e.message}`);
    }
    throw e;
  }
}

/** `deno task compare --help`. */
export const COMPARE_USAGE: string = [
  "Usage: deno task compare A.json B.json",
  "",
  "Compares two result files (A the reference, B the changed one):",
  "- where both hold baselines paired with the same run of ours (--baseline), ratio against",
  "  ratio: B's paired ratio over A's, with a 95% bootstrap interval over the two files' rounds;",
  "- every run both hold (same implementation, device, precision and options): B's median step",
  "  over A's, with a 95% bootstrap interval over each run's steps. That interval covers the",
  "  noise within each run only; across runs on a shared host medians move by more than it.",
  "",
  "Exit status: 0 compared, 2 bad arguments or files.",
].join("\n");

/** Runs `deno task compare A.json B.json`; returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(COMPARE_USAGE);
    return 0;
  }
  const paths = args[0] === "--" ? args.slice(1) : args;
  if (paths.length !== 2 || paths.some((p) => p.startsWith("-"))) {
    console.error(
      `error: expected two result files (deno task compare A.json B.json), found ` +
        `${JSON.stringify(paths.join(" "))}; see --help`,
    );
    return 2;
  }
  try {
    const [a, b] = await Promise.all(paths.map(readResult));
    const text = formatComparison(compareResults(a, b)).trimEnd();
    console.log(`A: ${paths[0]}\nB: ${paths[1]}\n${text}`);
    return 0;
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
