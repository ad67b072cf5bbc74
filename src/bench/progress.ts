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
  /** Least milliseconds between live redraws. Default 100 (10 Hz). */
  redrawMs?: number;
  /** Width of the bar in characters. Default 24. */
  barWidth?: number;
}

/**
 * Formats seconds as `12s`, `3m05s` or `1h02m`.
 *
 * @param seconds Non-negative seconds; anything else formats as `?`.
 * @returns The short duration.
 */
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

/**
 * Reports training progress. On a terminal it draws one live line, redrawn
 * in place with `\r` at most every `redrawMs` (10 Hz); elsewhere (logs, CI)
 * it prints a plain line at most every `intervalSeconds`. The last step of
 * an epoch or window is always shown. Call {@linkcode Progress.done} at the
 * end to finish the line.
 *
 * @example Usage
 * ```ts ignore
 * import { Progress } from "./progress.ts";
 * const progress = new Progress();
 * for (let step = 1; step <= 100; step++) progress.update({ step, steps: 100 });
 * progress.done();
 * ```
 */
export class Progress {
  #writer: ProgressWriter;
  #tty: boolean;
  #now: () => number;
  #intervalMs: number;
  #redrawMs: number;
  #barWidth: number;
  #lastWrite = -Infinity;
  #lastWidth = 0;
  #pending: ProgressState | null = null;
  #encoder = new TextEncoder();

  /** Creates a progress reporter; see {@linkcode ProgressOptions} for defaults. */
  constructor(options: ProgressOptions = {}) {
    this.#writer = options.writer ?? Deno.stdout;
    this.#tty = options.isTerminal ?? Deno.stdout.isTerminal();
    this.#now = options.now ?? (() => performance.now());
    this.#intervalMs = (options.intervalSeconds ?? 10) * 1000;
    this.#redrawMs = options.redrawMs ?? 100;
    this.#barWidth = options.barWidth ?? 24;
  }

  /**
   * Records the current state and shows it unless throttled.
   *
   * @param state The state.
   */
  update(state: ProgressState): void {
    const now = this.#now();
    const final = state.step >= state.steps;
    const wait = this.#tty ? this.#redrawMs : this.#intervalMs;
    if (!final && now - this.#lastWrite < wait) {
      this.#pending = state;
      return;
    }
    this.#show(state, now);
  }

  /** Shows the last throttled state, if any, and ends the live line. */
  done(): void {
    if (this.#pending !== null) this.#show(this.#pending, this.#now());
    if (this.#tty && this.#lastWidth > 0) this.#write("\n");
    this.#lastWidth = 0;
  }

  /**
   * The text of one progress line, without bar or line ending.
   *
   * @param state The state.
   * @returns E.g. `epoch 1/3 step 469/938 (50%) · 5120 img/s · loss 0.1234 · ETA 1m05s`.
   */
  static describe(state: ProgressState): string {
    const parts: string[] = [];
    const head: string[] = [];
    if (state.label) head.push(state.label);
    if (state.epoch !== undefined) {
      head.push(
        state.epochs === undefined
          ? `epoch ${state.epoch}`
          : `epoch ${state.epoch}/${state.epochs}`,
      );
    }
    const percent = state.steps > 0 ? Math.floor((100 * state.step) / state.steps) : 0;
    head.push(`step ${state.step}/${state.steps} (${percent}%)`);
    parts.push(head.join(" "));
    if (state.imagesPerSecond !== undefined) {
      parts.push(`${Math.round(state.imagesPerSecond)} img/s`);
    }
    if (state.loss !== undefined) parts.push(`loss ${formatLoss(state.loss)}`);
    if (state.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(state.etaSeconds)}`);
    return parts.join(" · ");
  }

  #bar(state: ProgressState): string {
    const fraction = state.steps > 0 ? Math.min(1, Math.max(0, state.step / state.steps)) : 0;
    const filled = Math.round(fraction * this.#barWidth);
    return `[${"#".repeat(filled)}${"-".repeat(this.#barWidth - filled)}]`;
  }

  #show(state: ProgressState, now: number): void {
    this.#lastWrite = now;
    this.#pending = null;
    if (!this.#tty) {
      this.#write(`${Progress.describe(state)}\n`);
      return;
    }
    const line = `${this.#bar(state)} ${Progress.describe(state)}`;
    const pad = " ".repeat(Math.max(0, this.#lastWidth - line.length));
    this.#lastWidth = line.length;
    this.#write(`\r${line}${pad}`);
  }

  #write(text: string): void {
    let bytes = this.#encoder.encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(this.#writer.writeSync(bytes));
  }
}
