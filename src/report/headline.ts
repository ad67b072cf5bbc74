/**
 * The README's headline, chosen by one declared rule ({@linkcode HEADLINE_RULE}): the seed's
 * question first (GPU against CPU, ours against PyTorch eager on each), then a grid of every
 * configuration against every implementation, each figure a link to the result it comes from.
 * Pure: a function of the results and where their files are.
 *
 * @module
 */
import {
  type BaselineName,
  baselineNameOf,
  BASELINES,
  baselinesOf,
  type BenchResult,
  CHOICES,
  type Run,
} from "../result/mod.ts";
import { pairedVerdictOf } from "./verdicts.ts";
import { DASH, table } from "./table.ts";
import {
  gpusPresent,
  isComparable,
  isPlainRun,
  libtorchVersion,
  machineOf,
  rowsOf,
  runName,
  stabilityOf,
} from "./rows.ts";

/** A result with the path of its file (as `deno task report` found it, e.g. `results/x.json`). */
export interface SourcedResult {
  /** The file's path, relative to the repository's root. */
  path: string;
  /** Its content. */
  result: BenchResult;
}

/** One headline row: a run of ours with the baselines measured paired beside it. */
export interface HeadlineRow {
  /** {@linkcode machineOf} the run. */
  machine: string;
  /** The libtorch release it ran on. */
  libtorch: string;
  /** Its configuration: device, precision and options, e.g. `cpu fp32, channels-last`. */
  configuration: string;
  /** The run of ours (named with its libtorch release). */
  ours: Run;
  /** Its baselines that were measured paired with it, by name. */
  paired: Map<BaselineName, Run>;
  /** The file it comes from. */
  path: string;
  /** When it ran (ISO 8601). */
  createdAt: string;
}

/** The headline's rule, stated under it and applied by {@linkcode headlineRows}. */
export const HEADLINE_RULE: string =
  "Rule: only runs of ours measured paired with at least one baseline in the same invocation " +
  "(ABBA rounds), only runs judged stable (no run, ours or a baseline, whose step IQR, paired " +
  "rounds or host load is past its bound: src/stats/noise.ts), only complete runs, none of a " +
  "Deno run without its JIT (env.runtimeVariant); the newest " +
  "per (machine, libtorch release, configuration). Each cell is deno+libtorch against that " +
  "implementation: the paired ratio of step times with its 95% bootstrap interval, as a factor " +
  '("no significant difference" when the interval holds 1); medians in ms, rounded to 0.1.';

/** The configuration of a run of ours, without the stack's name or release. */
function configurationOf(run: Run): string {
  return runName(run).replace(/^deno\+libtorch (\S+ )?(?=(cpu|cuda)\b)/, "");
}

/** A run of ours as a headline candidate, or null when it has no paired baseline. */
function candidate(run: Run, source: SourcedResult): HeadlineRow | null {
  const named = rowsOf({ ...source.result, runs: [run] })[0];
  const paired = new Map<BaselineName, Run>();
  for (const base of baselinesOf(run)) {
    const name = baselineNameOf(base);
    if (name !== null && base.paired !== undefined && !paired.has(name)) paired.set(name, base);
  }
  if (run.implementation !== "deno-libtorch" || paired.size === 0) return null;
  return {
    machine: machineOf(run, source.result.env),
    libtorch: libtorchVersion(source.result.env.torch) ?? "unknown",
    configuration: configurationOf(run),
    ours: named,
    paired,
    path: source.path,
    createdAt: source.result.createdAt,
  };
}

const keyOf = (r: HeadlineRow) => `${r.machine}\u0000${r.libtorch}\u0000${r.configuration}`;

/** Every paired, complete run of ours, newest first, with whether it is stable and why not. */
export function pairedCandidates(
  sources: readonly SourcedResult[],
): { row: HeadlineRow; reasons: string[] }[] {
  const found = sources.filter((s) => isComparable(s.result)).flatMap((source) =>
    source.result.runs.filter((run) => run.complete).flatMap((run) => {
      const row = candidate(run, source);
      return row === null ? [] : [{ row, reasons: stabilityOf(run).reasons }];
    })
  );
  return found.sort((a, b) =>
    b.row.createdAt.localeCompare(a.row.createdAt) || a.row.path.localeCompare(b.row.path)
  );
}

/**
 * The headline's rows by {@linkcode HEADLINE_RULE}, and the unstable runs it passed over that
 * were newer than the row it kept for their key (or had none): those the reader must be told of.
 */
export function headlineRows(
  sources: readonly SourcedResult[],
): { rows: HeadlineRow[]; leftOut: { row: HeadlineRow; reasons: string[] }[] } {
  const picked = new Map<string, HeadlineRow>();
  const leftOut: { row: HeadlineRow; reasons: string[] }[] = [];
  for (const c of pairedCandidates(sources)) {
    const key = keyOf(c.row);
    if (picked.has(key)) continue;
    if (c.reasons.length === 0) picked.set(key, c.row);
    else leftOut.push(c);
  }
  const rows = [...picked.values()].sort((a, b) =>
    a.machine.localeCompare(b.machine) || a.libtorch.localeCompare(b.libtorch) ||
    a.configuration.localeCompare(b.configuration)
  );
  return { rows, leftOut };
}

/** How headline cells link to files: a repository path to a link from the page. */
export type LinkTo = (path: string) => string;

/** Escapes the brackets of a link's text. */
const escaped = (text: string) => text.replaceAll("[", "\\[").replaceAll("]", "\\]");
const linked = (text: string, path: string, link: LinkTo) => `[${escaped(text)}](${link(path)})`;
const median = (run: Run) => `${run.stepMs.median.toFixed(1)} ms`;

/** The seed's question: GPU against CPU, ours against PyTorch eager on each. */
function seedTable(
  rows: readonly HeadlineRow[],
  sources: readonly SourcedResult[],
  link: LinkTo,
): string[] {
  // The seed's recipe (plain fp32) when it was paired with PyTorch, else the newest row that was.
  const seedRow = (device: "cpu" | "cuda") =>
    rows.filter((r) => r.ours.device === device && r.paired.has("pytorch"))
      .sort((a, b) =>
        Number(isPlainRun(b.ours)) - Number(isPlainRun(a.ours)) ||
        b.createdAt.localeCompare(a.createdAt)
      )[0];
  const pytorch = (r: HeadlineRow) => r.paired.get("pytorch")!;
  return table<"cpu" | "cuda">(
    [
      ["The seed's question: device", (d) => d === "cpu" ? "CPU" : "GPU"],
      ["Machine, libtorch, configuration", (d) => {
        const r = seedRow(d);
        return r === undefined
          ? noResult(d, sources, link)
          : `${r.machine}; libtorch ${r.libtorch}; ${r.configuration}`;
      }],
      ["deno+libtorch median step", (d) => cell(seedRow(d), (r) => median(r.ours), link)],
      ["PyTorch eager median step", (d) => cell(seedRow(d), (r) => median(pytorch(r)), link)],
      [
        "deno+libtorch against PyTorch eager, paired",
        (d) => cell(seedRow(d), (r) => pairedVerdictOf(pytorch(r).paired!), link),
      ],
    ],
    CHOICES.device,
    2,
  );
}

function cell(row: HeadlineRow | undefined, text: (r: HeadlineRow) => string, link: LinkTo) {
  return row === undefined ? DASH : linked(text(row), row.path, link);
}

/**
 * Why a device has no headline result yet. For the GPU: whether CUDA runs exist at all, and if
 * none, the GPUs the results' machines had (each linked to the newest run made there).
 */
function noResult(device: "cpu" | "cuda", sources: readonly SourcedResult[], link: LinkTo) {
  if (device === "cpu") return "no stable paired result yet";
  const notes = `see [${GPU_NOTES}](${link(GPU_NOTES)})`;
  const ran = sources.some((s) => s.result.runs.some((r) => r.device === "cuda" && r.complete));
  if (ran) return `**no result yet**: no CUDA run both paired with PyTorch and stable; ${notes}`;
  const seen = new Map<string, SourcedResult>();
  for (
    const s of [...sources].sort((a, b) => b.result.createdAt.localeCompare(a.result.createdAt))
  ) {
    for (const gpu of gpusPresent(s.result.env)) if (!seen.has(gpu)) seen.set(gpu, s);
  }
  const machines = [...seen].map(([gpu, s]) =>
    `${gpu} (${linked("a CPU run there", s.path, link)})`
  );
  const where = machines.length === 0
    ? "no GPU machine has run the benchmark yet"
    : `GPU machines seen so far: ${machines.join("; ")}`;
  return `**no result yet**: no CUDA run has finished; ${where}; ${notes}`;
}

/** Where the GPU notes are, from the repository's root. */
export const GPU_NOTES: string = "docs/gpu.md";

/** The grid: one row per headline row, one column per implementation paired with any of them. */
function grid(rows: readonly HeadlineRow[], link: LinkTo): string[] {
  const names = CHOICES.baseline.filter((n) => rows.some((r) => r.paired.has(n)));
  return table<HeadlineRow>(
    [
      ["Every configuration: machine", (r) => r.machine],
      ["libtorch", (r) => r.libtorch],
      ["Configuration (ours)", (r) => r.configuration],
      ["deno+libtorch median step", (r) => linked(median(r.ours), r.path, link)],
      ...names.map((n) =>
        [
          `vs ${BASELINES[n].label}`,
          (r: HeadlineRow) => {
            const base = r.paired.get(n);
            return base === undefined ? DASH : linked(pairedVerdictOf(base.paired!), r.path, link);
          },
        ] as const
      ),
    ],
    rows,
    3,
  );
}

/**
 * The headline as Markdown: the seed's table (GPU against CPU, ours against PyTorch eager on
 * each: the seed's fp32 recipe where it was paired with PyTorch, else the newest configuration
 * that was; a device without a result says so and why), the grid of {@linkcode headlineRows}
 * (configuration × implementation), the rule, and a warning naming each unstable run that the
 * rule passed over. `link` turns a repository path into a link from the page.
 */
export function renderHeadline(sources: readonly SourcedResult[], link: LinkTo): string {
  const { rows, leftOut } = headlineRows(sources);
  const lines = [
    ...seedTable(rows, sources, link),
    "",
    ...(rows.length > 0 ? grid(rows, link) : ["No stable paired run yet."]),
    "",
  ];
  const names = leftOut.map(({ row, reasons }) =>
    `${linked(row.path.split("/").at(-1)!, row.path, link)} (${row.configuration}: ` +
    `${reasons[0]})`
  );
  const warning = names.length === 0
    ? ""
    : ` **Left out as unstable**, newer than the rows kept: ${names.join("; ")}.`;
  lines.push(HEADLINE_RULE + warning);
  return lines.join("\n") + "\n";
}
