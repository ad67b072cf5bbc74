import assert from "node:assert/strict";
import { median, quantile, spreadWarning, summarize } from "../src/bench/stats.ts";

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
