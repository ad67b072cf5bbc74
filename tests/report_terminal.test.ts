// renderTerminalSummary() (src/report/terminal.ts): the bench's short summary on the terminal.
import assert from "node:assert/strict";
import { renderTerminalSummary } from "../src/report/terminal.ts";
import { fixture, loadedResult, pairedResult } from "./_report_fixtures.ts";

Deno.test("renderTerminalSummary() gives medians, accuracy, the paired verdicts and the unstable", () => {
  const summaryLines = renderTerminalSummary(pairedResult("2025-02-01T00:00:00.000Z"));
  assert.deepEqual(summaryLines.slice(-2), [
    "deno+libtorch ran 1.11× faster [1.09, 1.14] than PyTorch eager (cpu, fp32, 4 paired rounds)",
    "deno+libtorch: no significant difference (1.00× [0.98, 1.02]) from libtorch C++ " +
    "(cpu, fp32, 4 paired rounds)",
  ]);
  assert.equal(summaryLines[0], "deno+libtorch 2.5.1 cpu fp32: median step 36.00 ms");
  const loaded = renderTerminalSummary(loadedResult("2025-02-01T00:00:00.000Z"));
  assert.match(loaded[0], /: median step 2209\.75 ms; UNSTABLE: step times spread: IQR/);
  const unpaired = renderTerminalSummary(fixture());
  assert.ok(unpaired.every((l) => !l.includes("×")), unpaired.join("\n"));
  assert.match(unpaired[0], /median step 40\.00 ms, test accuracy 98\.11%$/);
});

Deno.test("renderTerminalSummary() calls PyTorch's eager recipes eager, its torch.compile recipe and our own worker by their labels", () => {
  const result = pairedResult("2025-02-01T00:00:00.000Z");
  const [ours] = result.runs;
  const compiled = { ...ours.baseline!, options: { recipe: "fp32-compile" } };
  const self = { ...ours.moreBaselines![0], implementation: "deno-libtorch" as const };
  self.options = { recipe: "fp32" };
  result.runs = [{ ...ours, moreBaselines: [compiled, self] }];
  const verdicts = renderTerminalSummary(result).slice(-3).map((l) => l.split(" (cpu")[0]);
  assert.deepEqual(verdicts, [
    "deno+libtorch ran 1.11× faster [1.09, 1.14] than PyTorch eager",
    "deno+libtorch ran 1.11× faster [1.09, 1.14] than PyTorch fp32 torch.compile",
    "deno+libtorch: no significant difference (1.00× [0.98, 1.02]) from ours fp32 (worker)",
  ]);
});
