/**
 * Which of several window results trained fastest (scripts/gpu-bench.sh's choice of speed
 * options for its 10-epoch run). Prints the winning file's name without `.json` on stdout and
 * every file's median step on stderr; a missing or unusable file is reported there and left out.
 *
 * ```sh
 * deno run -A scripts/fastest_run.ts out/sweep-fused.json out/sweep-graphs.json …
 * ```
 *
 * The first file listed wins a tie. Exit status 2 when no file has a complete run.
 *
 * @module
 */
import { basename } from "node:path";
import { measuredStepMs } from "../src/bench/budget.ts";
import { type Candidate, fastestResult } from "../src/bench/fastest.ts";
import { parseBenchResult } from "../src/bench/schema.ts";

const USAGE = `Usage: deno run -A scripts/fastest_run.ts RESULT.json...

Prints the name (without .json) of the result whose first complete run has the lowest median
training step; the first listed wins a tie.`;

/**
 * Runs the command.
 *
 * @param args Result files (see the module docs).
 * @returns The exit status.
 */
export async function main(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const candidates: Candidate[] = [];
  for (const path of args) {
    const name = basename(path).replace(/\.json$/, "");
    try {
      const result = parseBenchResult(JSON.parse(await Deno.readTextFile(path)));
      const [medianMs] = measuredStepMs(result, { withBaseline: false });
      console.error(
        `fastest_run: ${name}: ` +
          (medianMs === undefined
            ? "no complete run, left out"
            : `median step ${medianMs.toFixed(3)} ms`),
      );
      candidates.push({ name, result });
    } catch (e) {
      console.error(`fastest_run: ${name}: left out (${e instanceof Error ? e.message : e})`);
    }
  }
  const best = fastestResult(candidates);
  if (best === null) {
    console.error(
      `fastest_run: expected at least one result with a complete run, found none in ` +
        `${args.length} file(s)`,
    );
    return 2;
  }
  console.log(best.name);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
