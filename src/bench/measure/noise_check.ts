/**
 * Records each run's noise verdict (src/stats/noise.ts): the host's 1-minute load before and
 * after the timed work, read from /proc/loadavg, the run's step times and its paired rounds'
 * ratios; and the warning a run judged unstable ends with.
 *
 * @module
 */
import { baselinesOf, type BenchResult, type Run } from "../../result/mod.ts";
import { type NoiseVerdict, noiseVerdict } from "../../stats/mod.ts";

/** The host's 1-minute load average, or null where /proc/loadavg cannot be read. */
export function readLoadavg(path = "/proc/loadavg"): number | null {
  try {
    const first = Number(Deno.readTextFileSync(path).split(/\s+/)[0]);
    return Number.isFinite(first) ? first : null;
  } catch {
    return null;
  }
}

/** The load before and after a run's timed work, and the host's cores. */
export interface LoadSamples {
  /** The 1-minute load just before the timed work (null: unreadable). */
  before: number | null;
  /** The 1-minute load just after it (null: unreadable, or not yet read). */
  after: number | null;
  /** The host's logical CPUs. */
  cores: number;
}

/** The load samples as {@linkcode noiseVerdict} takes them, when both were read. */
function loadavgOf(load: LoadSamples | null) {
  return load && load.before !== null && load.after !== null
    ? { before: load.before, after: load.after, cores: load.cores }
    : undefined;
}

/**
 * The run's noise verdict: its step times, the load samples (when both were read) and, when
 * paired, the ratios of the baseline whose rounds spread the most (each baseline's rounds are
 * judged alone; pooling them would mix different ratios).
 */
export function runNoise(run: Run, load: LoadSamples | null): NoiseVerdict {
  const loadavg = loadavgOf(load);
  const stepMs = run.stepMs.samples;
  const ratios = baselinesOf(run).flatMap((b) => b.paired ? [b.paired.ratios] : []);
  const verdicts = ratios.length === 0
    ? [noiseVerdict({ stepMs, loadavg })]
    : ratios.map((pairedRatios) => noiseVerdict({ stepMs, pairedRatios, loadavg }));
  return verdicts.reduce((worst, v) =>
    (v.roundSpreadRel ?? 0) > (worst.roundSpreadRel ?? 0) ? v : worst
  );
}

/**
 * Records the noise verdicts of a run of ours ({@linkcode runNoise}) and of each baseline beside
 * it (its own step times and paired rounds, the same load samples).
 */
export function recordNoise(run: Run, load: LoadSamples | null): void {
  run.noise = runNoise(run, load);
  for (const b of baselinesOf(run)) {
    b.noise = noiseVerdict({
      stepMs: b.stepMs.samples,
      pairedRatios: b.paired?.ratios,
      loadavg: loadavgOf(load),
    });
  }
}

/**
 * One line per run of ours that is unstable, or has a baseline that is: what was past its bound
 * (each reason's head, e.g. `host busy`; the summary's UNSTABLE marks give the figures) and that
 * the run is left out of the headline. None when every run is stable or carries no verdict.
 */
export function noiseWarnings(result: BenchResult): string[] {
  return result.runs.flatMap((run) => {
    const pair = [run, ...baselinesOf(run)];
    const heads = new Set(
      pair.flatMap((r) => (r.noise?.reasons ?? []).map((x) => x.split(":")[0])),
    );
    if (heads.size === 0) return [];
    return [
      `warning: ${run.label} is unstable (${[...heads].join(", ")}): left out of the headline; ` +
      "rerun on a quiet host",
    ];
  });
}
