/**
 * How many epochs of a run fit in the seconds left, from the step times of a window run with the
 * same flags (scripts/gpu-bench.sh's budget). Prints the number (0: not even one) on stdout and
 * the estimate on stderr.
 *
 * ```sh
 * deno run -A scripts/epochs_that_fit.ts WINDOW.json --epochs 10 --remaining 200 \
 *   [--train-images 60000] [--overhead 20] [--margin 1.3] [--no-baseline]
 * ```
 *
 * Exit status 2 for a command-line mistake or an unusable result file.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { BUDGET_DEFAULTS, epochsThatFit, measuredStepMs } from "../src/bench/budget.ts";
import { parseBenchResult } from "../src/bench/schema.ts";

/** Training images in MNIST and Fashion-MNIST. */
const TRAIN_IMAGES = 60_000;

const USAGE = `Usage: deno run -A scripts/epochs_that_fit.ts WINDOW.json [flags]

Flags:
  --epochs N          epochs wanted (required)
  --remaining S       seconds left in the budget (required)
  --train-images N    training images per epoch (default: ${TRAIN_IMAGES})
  --overhead S        seconds per process for start, data and warm-up (default: ${BUDGET_DEFAULTS.overheadSeconds})
  --margin X          factor on the step-time estimate (default: ${BUDGET_DEFAULTS.margin})
  --no-baseline       the run trains this stack only, not PyTorch after it (default: both when
                      the window run had a baseline)`;

function number(flag: string, text: string | undefined): number {
  const x = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isFinite(x)) {
    throw new Error(`expected --${flag} to be a number, found ${JSON.stringify(text ?? null)}`);
  }
  return x;
}

/**
 * Runs the command.
 *
 * @param args Command-line arguments (see the module docs).
 * @returns The exit status.
 */
export async function main(args: readonly string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        epochs: { type: "string" },
        remaining: { type: "string" },
        "train-images": { type: "string", default: String(TRAIN_IMAGES) },
        overhead: { type: "string", default: String(BUDGET_DEFAULTS.overheadSeconds) },
        margin: { type: "string", default: String(BUDGET_DEFAULTS.margin) },
        "no-baseline": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new Error(`expected one result file, found ${positionals.length} arguments`);
    }
    const path = positionals[0];
    const result = parseBenchResult(JSON.parse(await Deno.readTextFile(path)));
    const stepMs = measuredStepMs(result, { withBaseline: !values["no-baseline"] });
    if (stepMs.length === 0) throw new Error(`expected a complete run in ${path}, found none`);
    const images = number("train-images", values["train-images"]);
    const plan = epochsThatFit({
      stepMs,
      stepsPerEpoch: Math.ceil(images / result.config.batchSize),
      wantedEpochs: number("epochs", values.epochs),
      remainingSeconds: number("remaining", values.remaining),
      overheadSeconds: number("overhead", values.overhead),
      margin: number("margin", values.margin),
    });
    const steps = stepMs.map((x) => `${x.toFixed(2)} ms`).join(" + ");
    const fit = plan.epochs > 0
      ? `${plan.epochs} epochs in about ${Math.round(plan.estimatedSeconds)} s of the ` +
        `${values.remaining} s left`
      : `none fits in the ${values.remaining} s left after ` +
        `${Math.round(plan.estimatedSeconds)} s of start-up`;
    console.error(
      `epochs_that_fit: steps of ${steps}: ${plan.secondsPerEpoch.toFixed(1)} s an epoch; ` +
        fit,
    );
    console.log(plan.epochs);
    return 0;
  } catch (e) {
    console.error(`epochs_that_fit: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
