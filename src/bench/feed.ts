/**
 * The batches of a timed window: steps over epochs of a seeded order, a new permutation drawn
 * when one ends (the timed window, the paired window and the single-rank reference share it).
 *
 * @module
 */
import { Generator, type Tensor } from "../ffi/mod.ts";
import type { BatchRange } from "../data/mod.ts";
import type { Trainer } from "./train.ts";

/** Steps over epochs of a seeded order, wrapping to a new permutation when one ends (the paired window reuses it). */
export class StepFeed {
  #trainer: Trainer;
  #gen: Generator;
  #order: Tensor | null = null;
  #ranges: BatchRange[];
  #i = 0;
  /** Feeds `trainer` the batches `ranges` of permutations drawn from Generator(seed). */
  constructor(trainer: Trainer, seed: number, ranges: BatchRange[]) {
    this.#trainer = trainer;
    this.#gen = new Generator(seed);
    this.#ranges = ranges;
  }
  /** The next batch: the current permutation and the range in it. */
  next(): [Tensor, BatchRange] {
    if (this.#order === null || this.#i >= this.#ranges.length) {
      this.#order?.dispose();
      this.#order = this.#trainer.epochOrder(this.#gen);
      this.#i = 0;
    }
    return [this.#order, this.#ranges[this.#i++]];
  }
  /** Frees the permutation and the generator. */
  dispose(): void {
    this.#order?.dispose();
    this.#gen.dispose();
  }
}
