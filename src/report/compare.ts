/**
 * `deno task compare A.json B.json`, in the manner of `pyperf compare_to`: for each run of B
 * that matches a run of A (same implementation, device, precision and options; baselines
 * included), the ratio of the median steps B/A with a 95% bootstrap interval over the two runs'
 * step samples, and the verdict: faster, slower, or no significant difference (the interval
 * contains 1). Exit codes: 0 compared, 2 bad arguments or files.
 *
 * @module
 */
import { readResult as read } from "./load.ts";
import { rowsOf, runName, sortKeys } from "./report.ts";
import { type BenchResult, type Run, SchemaError } from "../result/schema.ts";
import { formatRatio, medianRatio } from "../stats/stats.ts";

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

/** The comparison of two results. */
export interface CompareOutcome {
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
  return { matched, onlyA, onlyB };
}

/** The comparison as text: one line per matched run, then the runs without a match. */
export function formatComparison(outcome: CompareOutcome): string {
  const lines = outcome.matched.map((c) => {
    const ratio = formatRatio({ ratioMedian: c.ratio, ratioCI95: c.ci });
    const how = c.verdict === "no significant difference"
      ? c.verdict
      : `${(c.verdict === "faster" ? 1 / c.ratio : c.ratio).toFixed(2)}x ${c.verdict}`;
    return `${c.name}: median step ${c.aMedianMs.toFixed(2)} ms -> ${c.bMedianMs.toFixed(2)} ms: ` +
      `B/A ${ratio} (95% CI): ${how}`;
  });
  if (outcome.matched.length === 0) lines.push("No run of B matches a run of A.");
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

/** Runs `deno task compare A.json B.json`; returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const paths = args[0] === "--" ? args.slice(1) : args;
  if (paths.length !== 2 || paths.some((p) => p.startsWith("-"))) {
    console.error(
      `error: expected two result files (deno task compare A.json B.json), found ` +
        `${JSON.stringify(paths.join(" "))}`,
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
