import assert from "node:assert/strict";
import {
  bootstrapCI,
  median,
  medianRatio,
  noisyRatioNote,
  pairedRatios,
  quantile,
  spreadWarning,
  summarize,
} from "../src/stats/stats.ts";

function close(actual: number, expected: number, tolerance = 1e-12) {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `expected ${expected}, found ${actual}`,
  );
}

Deno.test("summarize() interpolates the median of an even sample", () => {
  assert.equal(summarize([4, 1, 3, 2]).median, 2.5);
});

Deno.test("summarize() takes the middle element as the median of an odd sample", () => {
  assert.equal(summarize([7, 1, 3, 5, 2, 9, 4]).median, 4);
});

Deno.test("summarize() matches numpy's linear percentiles", () => {
  // numpy.percentile([7, 1, 3, 5, 2, 9, 4], [10, 25, 75, 90]) == [1.6, 2.5, 6.0, 7.8]
  const s = summarize([7, 1, 3, 5, 2, 9, 4]);
  close(s.p10, 1.6);
  close(s.q1, 2.5);
  close(s.q3, 6);
  close(s.p90, 7.8);
  // numpy.percentile([4, 1, 3, 2], [10, 25, 75, 90]) == [1.3, 1.75, 3.25, 3.7]
  const t = summarize([4, 1, 3, 2]);
  close(t.p10, 1.3);
  close(t.q1, 1.75);
  close(t.q3, 3.25);
  close(t.p90, 3.7);
});

Deno.test("summarize() uses the sample standard deviation (n - 1)", () => {
  // numpy.std([7, 1, 3, 5, 2, 9, 4], ddof=1)
  close(summarize([7, 1, 3, 5, 2, 9, 4]).std, 2.819996622760558);
  close(summarize([7, 1, 3, 5, 2, 9, 4]).mean, 31 / 7);
});

Deno.test("summarize() reports a zero standard deviation for one sample", () => {
  const s = summarize([12.5]);
  assert.deepEqual(s, {
    median: 12.5,
    mean: 12.5,
    std: 0,
    p10: 12.5,
    p90: 12.5,
    q1: 12.5,
    q3: 12.5,
    min: 12.5,
    max: 12.5,
    count: 1,
    samples: [12.5],
  });
});

Deno.test("summarize() keeps the samples in measurement order and does not mutate them", () => {
  const samples = [3, 1, 2];
  const s = summarize(samples);
  assert.deepEqual(s.samples, [3, 1, 2]);
  assert.deepEqual(samples, [3, 1, 2]);
  assert.notEqual(s.samples, samples);
  assert.equal(s.min, 1);
  assert.equal(s.max, 3);
  assert.equal(s.count, 3);
});

Deno.test("summarize() rejects an empty sample with a RangeError", () => {
  assert.throws(() => summarize([]), {
    name: "RangeError",
    message: "summarize: expected at least one sample, found an empty array",
  });
});

Deno.test("summarize() rejects NaN and Infinity, naming the index", () => {
  assert.throws(() => summarize([1, NaN]), {
    name: "RangeError",
    message: "summarize: expected finite numbers, found NaN at index 1",
  });
  assert.throws(() => summarize([Infinity]), {
    name: "RangeError",
    message: "summarize: expected finite numbers, found Infinity at index 0",
  });
});

Deno.test("quantile() returns the ends at p = 0 and p = 1", () => {
  assert.equal(quantile([1, 2, 10], 0), 1);
  assert.equal(quantile([1, 2, 10], 1), 10);
  assert.throws(() => quantile([1], 1.5), RangeError);
});

Deno.test("spreadWarning() stays quiet when the IQR is within 10% of the median", () => {
  assert.equal(spreadWarning(summarize([10, 10.2, 10.4, 10.6, 10.8])), null);
});

Deno.test("spreadWarning() warns when the IQR exceeds 10% of the median", () => {
  // q1 = 10, q3 = 14, median = 12: IQR/median = 33.3%
  const warning = spreadWarning(summarize([8, 10, 12, 14, 16]));
  assert.equal(
    warning,
    "noisy timings: the interquartile range (4.000 ms) is 33.3% of the median (12.000 ms), " +
      "expected at most 10%",
  );
});

Deno.test("spreadWarning() honours a custom threshold", () => {
  assert.equal(spreadWarning(summarize([8, 10, 12, 14, 16]), { threshold: 0.5 }), null);
});

Deno.test("median() takes the middle of an unsorted sample and leaves it unsorted", () => {
  const sample = [9, 1, 5];
  assert.equal(median(sample), 5);
  assert.deepEqual(sample, [9, 1, 5]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
});

Deno.test("bootstrapCI() is pure: the same samples and seed give the same interval", () => {
  const sample = [5, 1, 4, 2, 8, 3, 9, 7, 6];
  const med = ([x]: Float64Array[]) => median(x);
  const a = bootstrapCI([sample], med, { seed: 7 });
  assert.deepEqual(bootstrapCI([sample], med, { seed: 7 }), a);
  assert.notDeepEqual(bootstrapCI([sample], med, { seed: 8, resamples: 50 }), a);
});

Deno.test("bootstrapCI() brackets the median within the sample's range", () => {
  const sample = Array.from({ length: 41 }, (_, i) => 100 + (i * 37) % 41);
  const [lo, hi] = bootstrapCI([sample], ([x]) => median(x));
  assert.ok(lo <= median(sample) && median(sample) <= hi, `${lo} ≤ ${median(sample)} ≤ ${hi}`);
  assert.ok(lo >= 100 && hi <= 140 && lo < hi, `[${lo}, ${hi}]`);
});

Deno.test("bootstrapCI() of a constant sample is that constant", () => {
  assert.deepEqual(bootstrapCI([[3, 3, 3]], ([x]) => median(x)), [3, 3]);
});

Deno.test("bootstrapCI() rejects an empty sample and a level outside (0, 1)", () => {
  assert.throws(
    () => bootstrapCI([[1], []], () => 0),
    /expected non-empty samples, found sample 1 empty/,
  );
  assert.throws(() => bootstrapCI([[1]], () => 0, { level: 1 }), /expected a level in \(0, 1\)/);
});

Deno.test("medianRatio() gives the ratio of medians and an interval around it", () => {
  const a = [20, 21, 19, 22, 20, 18, 20, 21];
  const b = [10, 10.5, 9.5, 11, 10, 9, 10, 10.5];
  const { ratio, ci } = medianRatio(a, b);
  close(ratio, 2);
  assert.ok(ci[0] < 2 && ci[1] > 2 && ci[0] > 1.6 && ci[1] < 2.4, `[${ci}]`);
});

Deno.test("pairedRatios() takes each round's ratio of medians and their median", () => {
  const ours = [[10, 11, 12], [20, 22, 24], [5, 5, 5]];
  const base = [[10, 10, 10], [20, 20, 20], [4, 5, 6]];
  const p = pairedRatios(ours, base);
  assert.deepEqual(p.ratios, [1.1, 1.1, 1]);
  close(p.ratioMedian, 1.1);
  assert.ok(p.ratioCI95[0] >= 1 && p.ratioCI95[1] <= 1.1 + 1e-12, `[${p.ratioCI95}]`);
  assert.throws(() => pairedRatios(ours, base.slice(1)), /found 3 and 2/);
});

Deno.test("noisyRatioNote() flags an interval reaching beyond ±5% of the ratio", () => {
  assert.equal(noisyRatioNote(1, [0.96, 1.04]), null);
  assert.match(noisyRatioNote(1, [0.9, 1.02])!, /reaches ±10\.0% of it, expected within ±5%/);
});
