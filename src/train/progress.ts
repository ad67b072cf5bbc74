/**
 * Progress display for long training runs.
 *
 * @module
 */

/** Where progress is written; `Deno.stdout` and `Deno.stderr` qualify. */
export interface ProgressWriter {
  /** Writes some of `p`, returning how many bytes were written. */
  writeSync(p: Uint8Array): number;
}

/** Training state shown by {@linkcode Progress.update}. */
export interface ProgressState {
  /** Phase name shown first, e.g. `"warm-up"`, `"timed"`, `"train"`. */
  label?: string;
  /** 1-based current epoch. */
  epoch?: number;
  /** Total epochs. */
  epochs?: number;
  /** Steps done in the current epoch or window. */
  step: number;
  /** Steps in the current epoch or window. */
  steps: number;
  /** Recent training throughput. */
  imagesPerSecond?: number;
  /** Recent training loss. */
  loss?: number;
  /** Estimated seconds left. */
  etaSeconds?: number;
}

/** Options for {@linkcode Progress}. */
export interface ProgressOptions {
  /** Output. Default `Deno.stdout`. */
  writer?: ProgressWriter;
  /** Draw a live bar redrawn in place. Default `Deno.stdout.isTerminal()`. */
  isTerminal?: boolean;
  /** Monotonic clock in milliseconds. Default `performance.now`. */
  now?: () => number;
  /** Least seconds between plain (non-terminal) lines. Default 10. */
  intervalSeconds?: number;
  /** Width of the bar in characters. Default 24. */
  barWidth?: number;
}

/** Seconds as `12s`, `3m05s` or `1h02m`; `?` for a negative or non-finite number. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/** A loss as tables and progress lines show it: four digits, one decimal from 100 up. */
export function formatLoss(loss: number): string {
  if (!Number.isFinite(loss)) return String(loss);
  return Math.abs(loss) >= 100 ? loss.toFixed(1) : loss.toPrecision(4);
}

/** Least milliseconds between a terminal's redraws (10 Hz). */
const REDRAW_MS = 100;

/**
 * Reports training progress: on a terminal one live line with a bar, redrawn in place at most
 * every {@linkcode REDRAW_MS}; elsewhere (logs, CI) a plain line at most every `intervalSeconds`. The last
 * step of an epoch or window is always shown; {@linkcode Progress.done} ends the line.
 */
export class Progress {
  readonly #o: Required<ProgressOptions>;
  #lastWrite = -Infinity;
  #lastWidth = 0;
  #pending: ProgressState | null = null;

  /** Creates a progress reporter; see {@linkcode ProgressOptions} for defaults. */
  constructor(options: ProgressOptions = {}) {
    this.#o = {
      writer: options.writer ?? Deno.stdout,
      isTerminal: options.isTerminal ?? Deno.stdout.isTerminal(),
      now: options.now ?? (() => performance.now()),
      intervalSeconds: options.intervalSeconds ?? 10,
      barWidth: options.barWidth ?? 24,
    };
  }

  /** Records the current state and shows it unless throttled. */
  update(state: ProgressState): void {
    const now = this.#o.now();
    const wait = this.#o.isTerminal ? REDRAW_MS : this.#o.intervalSeconds * 1000;
    if (state.step < state.steps && now - this.#lastWrite < wait) this.#pending = state;
    else this.#show(state, now);
  }

  /** Shows the last throttled state, if any, and ends the live line. */
  done(): void {
    if (this.#pending !== null) this.#show(this.#pending, this.#o.now());
    if (this.#o.isTerminal && this.#lastWidth > 0) this.#write("\n");
    this.#lastWidth = 0;
  }

  /**
   * The text of one progress line, without bar or line ending, e.g.
   * `train epoch 1/3 step 469/938 (50%) · 5120 img/s · loss 0.1234 · ETA 1m05s`.
   */
  static describe(state: ProgressState): string {
    const epoch = state.epochs === undefined ? state.epoch : `${state.epoch}/${state.epochs}`;
    const percent = state.steps > 0 ? Math.floor((100 * state.step) / state.steps) : 0;
    const head = [
      state.label || undefined,
      state.epoch === undefined ? undefined : `epoch ${epoch}`,
      `step ${state.step}/${state.steps} (${percent}%)`,
    ];
    const { imagesPerSecond: speed, loss, etaSeconds: eta } = state;
    return [
      head.filter((part) => part !== undefined).join(" "),
      speed === undefined ? undefined : `${Math.round(speed)} img/s`,
      loss === undefined ? undefined : `loss ${formatLoss(loss)}`,
      eta === undefined ? undefined : `ETA ${formatDuration(eta)}`,
    ].filter((part) => part !== undefined).join(" · ");
  }

  #show(state: ProgressState, now: number): void {
    this.#lastWrite = now;
    this.#pending = null;
    if (!this.#o.isTerminal) return this.#write(`${Progress.describe(state)}\n`);
    const fraction = state.steps > 0 ? Math.min(1, Math.max(0, state.step / state.steps)) : 0;
    const filled = Math.round(fraction * this.#o.barWidth);
    const bar = `[${"#".repeat(filled)}${"-".repeat(this.#o.barWidth - filled)}]`;
    const line = `${bar} ${Progress.describe(state)}`;
    const pad = " ".repeat(Math.max(0, this.#lastWidth - line.length));
    this.#lastWidth = line.length;
    this.#write(`\r${line}${pad}`);
  }

  #write(text: string): void {
    let bytes = new TextEncoder().encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(this.#o.writer.writeSync(bytes));
  }
}
